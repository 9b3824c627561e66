"""Token buckets and the client's address: what every way in (chat channels, the voice gateway) limits by.

Plain Python (no web framework): the Rasa channels and the voice gateway, two processes, use the same rules.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional

from actions.service.core.settings import get_settings


def client_ip(request: Optional[Any]) -> str:
    """The client's address; behind a trusted proxy (ANXIN_TRUSTED_PROXIES), the one it forwarded for."""
    if request is None:
        return "unknown"
    peer = request.ip or ""
    trusted = get_settings().trusted_proxies
    if peer in trusted:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        for address in reversed(forwarded):  # the last address a proxy we trust did not add itself
            if address not in trusted:
                return address
    return peer or "unknown"


def client_limiter() -> "TokenBucketLimiter":
    settings = get_settings()
    return TokenBucketLimiter(settings.client_messages_per_minute, settings.client_burst)


class TokenBucketLimiter:
    """Per-sender token bucket: a burst of messages is fine, a sustained flood is slowed."""

    def __init__(self, per_minute: Optional[float] = None, burst: Optional[int] = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        settings = get_settings()  # ANXIN_RATE_LIMIT_PER_MINUTE and _BURST unless given
        self.rate = (settings.rate_limit_per_minute if per_minute is None else per_minute) / 60.0
        self.burst = settings.rate_limit_burst if burst is None else burst
        self.clock = clock
        self._buckets: Dict[str, tuple] = {}

    def allow(self, sender: str) -> bool:
        now = self.clock()
        tokens, last = self._buckets.get(sender, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        self._buckets[sender] = (tokens - 1 if allowed else tokens, now)
        if len(self._buckets) > 100_000:  # forget idle senders rather than grow without bound
            self._buckets.clear()
        return allowed
