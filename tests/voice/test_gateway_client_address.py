"""Whom the gateway's per-client limits count: the forwarder's word only with the shared secret beside it."""
from types import SimpleNamespace

from voice.gateway.client_address import client_address
from voice.gateway.protocol import CLIENT_HEADER, SECRET_HEADER


def request(ip, **headers):
    return SimpleNamespace(ip=ip, headers=headers)


def test_the_rasa_forwarders_client_is_believed_only_with_the_secret(monkeypatch):
    monkeypatch.setenv("ANXIN_GATEWAY_SECRET", "the-secret")
    monkeypatch.delenv("ANXIN_TRUSTED_PROXIES", raising=False)
    assert client_address(request("127.0.0.1", **{CLIENT_HEADER: "203.0.113.7", SECRET_HEADER: "the-secret"})) \
        == "203.0.113.7"
    # a stranger naming someone else (to spend their budget, or to escape its own) is counted as itself
    assert client_address(request("198.51.100.9", **{CLIENT_HEADER: "203.0.113.7"})) == "198.51.100.9"
    assert client_address(request("198.51.100.9", **{CLIENT_HEADER: "203.0.113.7", SECRET_HEADER: "guess"})) \
        == "198.51.100.9"


def test_behind_haproxy_the_trusted_proxys_forwarded_for_counts(monkeypatch):
    monkeypatch.setenv("ANXIN_GATEWAY_SECRET", "the-secret")
    monkeypatch.setenv("ANXIN_TRUSTED_PROXIES", "127.0.0.1")
    assert client_address(request("127.0.0.1", **{"X-Forwarded-For": "203.0.113.7"})) == "203.0.113.7"
