"""Shared secrets between our own processes (Rasa -> action server, voice gateway <-> Rasa)."""
from __future__ import annotations

import hmac


def secret_matches(given: str, secret: str) -> bool:
    """Constant-time, so the answer's timing says nothing about how much of a guess was right."""
    return bool(secret) and hmac.compare_digest(given.encode("utf-8", "surrogatepass"), secret.encode())
