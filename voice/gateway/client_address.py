"""Who a customer request came from, for the per-client rate limits.

Behind the Rasa server's forwarder (`make run`) every request comes from Rasa itself: the forwarder
names the client in a header, believed only with the gateway's shared secret beside it. Behind
HAProxy (a cluster) the usual X-Forwarded-For rule holds (ANXIN_TRUSTED_PROXIES).
"""
from __future__ import annotations

from typing import Any

from actions.service.core.rate_limits import client_ip
from actions.service.core.settings import get_settings
from actions.service.core.shared_secret import secret_matches
from voice.gateway.protocol import CLIENT_HEADER, SECRET_HEADER


def forwarded_by_rasa(request: Any) -> bool:
    return secret_matches(request.headers.get(SECRET_HEADER, ""), get_settings().gateway_secret)


def client_address(request: Any) -> str:
    if forwarded_by_rasa(request) and request.headers.get(CLIENT_HEADER):
        return request.headers[CLIENT_HEADER]
    return client_ip(request)
