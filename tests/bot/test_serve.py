"""bot.serve, the `rasa run` launcher: secrets and exposure come from the environment, never argv."""
import argparse

import pytest

from bot import serve
from tests.conftest import clear_service_caches


@pytest.fixture
def environment(monkeypatch):
    monkeypatch.setenv("RASA_AUTH_TOKEN", "token-from-env")
    monkeypatch.setenv("ANXIN_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.delenv("RASA_INTERFACE", raising=False)
    clear_service_caches()
    yield monkeypatch
    clear_service_caches()


@pytest.mark.parametrize("argument", ["--auth-token=abc", "--cors", "-i", "--interface=0.0.0.0", "-tabc", "-t",
                                      "--auth=abc", "--cor", "--jwt-secret=x", "--ssl-password", "-i0.0.0.0"])
def test_secrets_and_exposure_on_the_command_line_are_refused(argument):
    with pytest.raises(SystemExit):
        serve.main(["--enable-api", argument])


def test_the_token_interface_and_origins_come_from_the_environment(environment):
    args = serve.apply_settings(argparse.Namespace(enable_api=True, auth_token=None, interface="0.0.0.0", cors="*"))
    assert args.auth_token == "token-from-env"
    assert args.interface == "127.0.0.1"  # loopback unless RASA_INTERFACE says otherwise
    assert args.cors == ["https://a.example", "https://b.example"]


def test_an_api_without_a_token_does_not_start(environment):
    environment.setenv("RASA_AUTH_TOKEN", "")  # set but empty (deleted, .env would fill it in)
    clear_service_caches()
    with pytest.raises(serve.NoAuthToken):
        serve.apply_settings(argparse.Namespace(enable_api=True, auth_token=None, interface=None, cors=None))


@pytest.mark.parametrize("argument", ["--model", "models/anxin.tar.gz", "--port", "5005", "--enable-api",
                                      "--credentials", "--endpoints", "-p", "-m", "--"])
def test_ordinary_options_are_not_mistaken_for_secrets(argument):
    assert not serve.names_a_setting_from_the_environment(argument)


@pytest.fixture
def endpoint_variables(monkeypatch):
    """What bot/endpoints.yml expands (scripts/env.sh and .env set them in a real start)."""
    for name, value in {"ACTION_SERVER_URL": "http://127.0.0.1:5055/webhook", "ANXIN_ACTION_SECRET": "x",
                        "ANXIN_TRACKER_STORE_URL": "sqlite:///tracker.db"}.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_without_scale_out_settings_the_endpoints_file_decides(endpoint_variables):
    monkeypatch = endpoint_variables
    for name in ("ANXIN_LOCK_STORE_URL", "ANXIN_EVENT_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    clear_service_caches()
    endpoints = serve.read_endpoints_with_settings(serve.AvailableEndpoints, "bot/endpoints.yml")
    assert endpoints.lock_store.type == "in_memory" and endpoints.event_broker is None
    clear_service_caches()


def test_redis_lock_store_and_pika_broker_come_from_settings(endpoint_variables):
    monkeypatch = endpoint_variables
    monkeypatch.setenv("ANXIN_LOCK_STORE_URL", "redis://:p%40ss@redis.internal:6380/3")
    monkeypatch.setenv("ANXIN_EVENT_BROKER_URL", "amqp://anxin:s3cret@mq.internal:5673/prod")
    monkeypatch.setenv("ANXIN_EVENT_QUEUE", "analytics")
    clear_service_caches()
    endpoints = serve.read_endpoints_with_settings(serve.AvailableEndpoints, "bot/endpoints.yml")
    lock = endpoints.lock_store
    assert (lock.type, lock.url, lock.kwargs["port"], lock.kwargs["db"], lock.kwargs["password"]) == \
        ("bot.lock_store.RedisLockStore", "redis.internal", 6380, 3, "p@ss")
    broker = endpoints.event_broker
    assert broker.type == "pika" and broker.kwargs["queues"] == ["analytics"]
    assert (broker.kwargs["username"], broker.kwargs["password"], broker.kwargs["port"]) == ("anxin", "s3cret", 5673)
    assert endpoints.tracker_store.type == "bot.tracker_store.RedactingSQLTrackerStore"  # the rest stays
    clear_service_caches()


def test_more_workers_without_a_shared_lock_store_refuse_to_start(monkeypatch):
    monkeypatch.setenv("SANIC_WORKERS", "2")
    monkeypatch.delenv("ANXIN_LOCK_STORE_URL", raising=False)
    clear_service_caches()
    with pytest.raises(SystemExit, match="ANXIN_LOCK_STORE_URL"):
        serve.main(["--enable-api"])
    clear_service_caches()


def test_a_mistyped_scale_out_url_stops_the_start(monkeypatch):
    monkeypatch.setenv("ANXIN_LOCK_STORE_URL", "localhost:6379")
    clear_service_caches()
    with pytest.raises(ValueError, match="redis://"):
        serve.main(["--enable-api"])
    clear_service_caches()
