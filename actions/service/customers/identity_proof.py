"""A verified identity as a signed value: the action server believes a tracker's customer only with it.

Trackers come from Rasa, but a slot is just data: anyone who could post a tracker could write
`verified: true, customer_id: N`. The identity check therefore also sets a proof,
"<customer id>.<expiry>.<HMAC>", keyed with the project secret and bound to the conversation
(`conversation_scope`), so a forged or copied slot names nobody.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, Optional

from actions.service.core.settings import get_settings, secret_key


def conversation_scope(sender_id: str, channel: Optional[str]) -> str:
    """What a proof is bound to: the sender id, on Telegram or off it.

    Telegram's sender id is the chat id, which is no secret, and every channel shares one tracker
    store: a proof made on Telegram must not hold for a REST or voice-message post that names that
    chat id. The web chat, REST, voice messages and calls share one scope, because the web page sends
    its hold-to-talk voice messages under its socket.io sender id (random, known only to that page).
    """
    return f"{'telegram' if channel == 'telegram' else 'open'}:{sender_id}"


def _mac(customer_id: int, expires: int, sender_id: str) -> str:
    key = secret_key()
    message = f"identity|{customer_id}|{expires}|{sender_id}".encode("utf-8", "surrogatepass")
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def sign_identity(customer_id: int, sender_id: str, now: Optional[float] = None) -> str:
    """The proof that this conversation verified as this customer, good for identity_proof_hours."""
    expires = int((time.time() if now is None else now) + get_settings().identity_proof_hours * 3600)
    return f"{customer_id}.{expires}.{_mac(customer_id, expires, sender_id)}"


def proven_customer(proof: Any, sender_id: str, now: Optional[float] = None) -> Optional[int]:
    """The customer id the proof names for this conversation, or None (missing, forged, expired, other chat)."""
    if not isinstance(proof, str) or proof.count(".") != 2:
        return None
    customer_text, expires_text, mac = proof.split(".")
    if not (customer_text.isascii() and customer_text.isdigit() and expires_text.isascii() and expires_text.isdigit()):
        return None
    customer_id, expires = int(customer_text), int(expires_text)
    if expires < (time.time() if now is None else now):
        return None
    expected = _mac(customer_id, expires, sender_id).encode()
    if not hmac.compare_digest(mac.encode("utf-8", "surrogatepass"), expected):  # bytes: any text compares
        return None
    return customer_id
