"""The demo payment provider: a checkout page served by the product itself, no real money taken.

It behaves like a gateway: when the customer presses "pay" on its page (bot/pages/documents.py) it
sends the product a signed callback, and the product settles the order only if that callback verifies:
HMAC-SHA256 over reference, amount, time and a one-time nonce, keyed with the project secret, fresh
within a few minutes, and each nonce accepted once (actions/service/policies/payments.py records it). Nothing
works unless demo mode is on (ANXIN_DEMO_MODE, on in `make run`).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Mapping, Optional

from actions.service.policies.payment_provider import CallbackRefused, PaymentNotice
from actions.service.core.settings import NoSecretKey, get_settings, secret_key

SIGNED_FIELDS = ("reference", "amount", "timestamp", "nonce")
_PURPOSE = b"anxin demo payment callback v1"  # this key signs payment callbacks and nothing else
_MAX_FIELD_CHARS = 128


def demo_payments_on() -> bool:
    return get_settings().demo_mode


def _key() -> bytes:
    try:
        secret = secret_key()
    except NoSecretKey:
        raise CallbackRefused("no project secret (ANXIN_SECRET_KEY): payment callbacks cannot be checked") from None
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def amount_text(amount: Decimal) -> str:
    """The amount as signed: always two decimals, so 10000 and 10000.00 sign alike."""
    return f"{Decimal(amount):.2f}"


def callback_signature(reference: str, amount: str, timestamp: str, nonce: str) -> str:
    message = "\n".join((reference, amount, timestamp, nonce)).encode("utf-8")
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


class DemoPaymentProvider:
    name = "demo"

    def checkout_url(self, reference: str, amount: Decimal, method: str, link_token: str) -> str:
        return f"{get_settings().public_url}/webhooks/documents/pay/{link_token}"

    def signed_callback(self, reference: str, amount: Decimal, now: Optional[float] = None) -> Dict[str, str]:
        """What the demo gateway posts back once the customer has "paid"."""
        if not demo_payments_on():
            raise CallbackRefused("demo payments are off")
        fields = {"reference": reference, "amount": amount_text(amount),
                  "timestamp": str(int(time.time() if now is None else now)), "nonce": secrets.token_hex(16)}
        return {**fields, "signature": callback_signature(*(fields[name] for name in SIGNED_FIELDS))}

    def verify_callback(self, fields: Mapping[str, Any], now: Optional[float] = None) -> PaymentNotice:
        if not demo_payments_on():
            raise CallbackRefused("demo payments are off")
        values = {name: fields.get(name) for name in (*SIGNED_FIELDS, "signature")}
        if not all(isinstance(v, str) and 0 < len(v) <= _MAX_FIELD_CHARS for v in values.values()):
            raise CallbackRefused("malformed callback")
        expected = callback_signature(*(values[name] for name in SIGNED_FIELDS))
        if not hmac.compare_digest(expected.encode(), values["signature"].encode("utf-8", "replace")):
            raise CallbackRefused("wrong signature")
        try:
            sent, amount = int(values["timestamp"]), Decimal(values["amount"])
        except (ValueError, InvalidOperation):
            raise CallbackRefused("malformed callback") from None
        now = time.time() if now is None else now
        if abs(now - sent) > get_settings().payment_callback_window_seconds:
            raise CallbackRefused("stale callback")
        sent_at = datetime.fromtimestamp(sent, timezone.utc).replace(tzinfo=None)
        return PaymentNotice(values["reference"], amount, values["nonce"], sent_at)
