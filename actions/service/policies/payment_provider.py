"""Where the customer actually pays: the interface every payment provider implements.

A provider makes the checkout link for an order and vouches for the callbacks that say an order was
paid; the product settles an order only on a callback its provider has verified
(actions/service/policies/payments.py). The built-in demo provider (actions/service/policies/demo_payments.py) is one
implementation; a real gateway (WeChat Pay, Alipay, UnionPay) would be another. payments.payment_provider()
says which one is in use.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Mapping, Optional, Protocol


@dataclass(frozen=True)
class PaymentNotice:
    """A verified "this order was paid" from the provider; the nonce makes each notice usable once."""

    reference: str
    amount: Decimal
    nonce: str
    sent_at: datetime


class CallbackRefused(ValueError):
    """A callback that must settle nothing: unsigned, wrongly signed, stale, malformed, or the provider is off."""


class PaymentProvider(Protocol):
    name: str

    def checkout_url(self, reference: str, amount: Decimal, method: str, link_token: str) -> str:
        """The customer's pay link; `link_token` is the order's own secret (the page shows nothing without it)."""

    def verify_callback(self, fields: Mapping[str, Any], now: Optional[float] = None) -> PaymentNotice:
        """The notice a callback carries, or CallbackRefused. `now`: seconds since the epoch."""
