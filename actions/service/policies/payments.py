"""Premium payment orders (several policies in one payment) behind a payment-provider interface."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import List, Optional, Protocol, Sequence

from dateutil.relativedelta import relativedelta

from actions.service.core.db import session_scope
from actions.service.core.models import Customer, Payment, PaymentOrder, Policy
from actions.service.policies.lookup import months_per_period
from actions.service.core.settings import get_settings

PAYMENT_METHODS = ("bank_debit", "wechat_pay", "alipay")


class PaymentProvider(Protocol):
    """Where the customer actually pays. A real insurer plugs its gateway in here."""

    def checkout_url(self, reference: str, amount: Decimal, method: str) -> str: ...


class DemoPaymentProvider:
    """Serves a demo checkout page from the product itself (bot/pages/documents.py)."""

    def checkout_url(self, reference: str, amount: Decimal, method: str) -> str:
        return f"{get_settings().public_url}/webhooks/documents/pay/{reference}"


@dataclass(frozen=True)
class OrderView:
    reference: str
    policy_numbers: List[str]
    amount: Decimal
    method: str
    status: str
    pay_url: str


class PaymentError(ValueError):
    """The order cannot be made as asked (unknown policy, nothing due, unknown method)."""


def _order_view(order: PaymentOrder) -> OrderView:
    return OrderView(order.reference, order.policy_numbers.split(","), order.amount, order.method,
                     order.status, order.pay_url)


def create_payment_order(customer_id: int, policy_numbers: Sequence[str], method: str,
                         provider: Optional[PaymentProvider] = None) -> OrderView:
    """One order for the customer's chosen policies, for their current premiums combined."""
    if method not in PAYMENT_METHODS:
        raise PaymentError(f"unknown payment method {method!r}")
    provider = provider or DemoPaymentProvider()
    with session_scope() as session:
        customer = session.get(Customer, customer_id)
        own = {p.number: p for p in customer.policies} if customer else {}
        wanted = list(dict.fromkeys(n.strip().upper() for n in policy_numbers))
        chosen = [own[n] for n in wanted if n in own]
        if not chosen or len(chosen) != len(wanted):
            raise PaymentError("policy not found for this customer")
        amount = sum((p.premium for p in chosen), Decimal(0))
        reference = f"PAY-{datetime.utcnow():%Y%m%d}-{secrets.token_hex(3).upper()}"
        order = PaymentOrder(
            reference=reference, customer_id=customer_id, policy_numbers=",".join(p.number for p in chosen),
            amount=amount, method=method, pay_url=provider.checkout_url(reference, amount, method),
        )
        session.add(order)
        session.flush()
        return _order_view(order)


def get_payment_order(reference: str) -> Optional[OrderView]:
    with session_scope() as session:
        order = session.query(PaymentOrder).filter_by(reference=reference).first()
        return _order_view(order) if order else None


def settle_payment_order(reference: str, today: Optional[date] = None) -> OrderView:
    """Record the payment of every policy in the order once, and move each due date on a period.

    Settling an order twice changes nothing the second time (payment callbacks repeat).
    """
    today = today or date.today()
    with session_scope() as session:
        order = session.query(PaymentOrder).filter_by(reference=reference).with_for_update().first()
        if order is None:
            raise PaymentError("unknown order")
        if order.status == "paid":
            return _order_view(order)
        for number in order.policy_numbers.split(","):
            policy = session.query(Policy).filter_by(number=number).one()
            payment = Payment(policy=policy, amount=policy.premium, paid_on=today,
                              period_due_date=policy.next_due_date, method=order.method,
                              order_reference=order.reference)
            session.add(payment)
            session.flush()
            payment.invoice_number = invoice_number_for(payment)
            policy.next_due_date = policy.next_due_date + relativedelta(months=months_per_period(policy.frequency))
            policy.status = "in_force"
        order.status = "paid"
        return _order_view(order)


def invoice_number_for(payment: Payment) -> str:
    """E-invoice numbers are issued once per payment: year of payment + the payment's id."""
    return f"EI{payment.paid_on:%Y}{payment.id:08d}"


@dataclass(frozen=True)
class PaymentView:
    id: int
    policy_number: str
    product_name: str
    product_name_en: str
    amount: Decimal
    paid_on: date
    period_due_date: date
    method: str
    invoice_number: Optional[str]


def recent_payments(customer_id: int, limit: int = 5) -> List[PaymentView]:
    """The customer's latest payments, newest first."""
    with session_scope() as session:
        rows = (
            session.query(Payment).join(Policy).filter(Policy.customer_id == customer_id)
            .order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(limit).all()
        )
        return [
            PaymentView(r.id, r.policy.number, r.policy.product_name, r.policy.product_name_en, r.amount,
                        r.paid_on, r.period_due_date, r.method, r.invoice_number)
            for r in rows
        ]


ALL_POLICIES = "ALL"
_ALL_WORDS = re.compile(r"全部|都|一起|两张|兩張|所有|晒|\b(?:all|both|every)\b", re.I)
_ORDINALS = [re.compile(p, re.I) for p in (r"第一|头一|first|1st", r"第二|second|2nd", r"第三|third|3rd")]
_METHOD_WORDS = {
    "wechat_pay": re.compile(r"微信|wechat|weixin", re.I),
    "alipay": re.compile(r"支付宝|支付寶|alipay|zhifubao", re.I),
    "bank_debit": re.compile(r"银行|銀行|卡|扣|bank|debit|card", re.I),
}


def parse_policy_choice(text: str, mentioned: Sequence[str], due_numbers: Sequence[str]) -> List[str]:
    """Which of the due policies the customer chose: numbers they named, 'all', or 'the first one'."""
    due = list(due_numbers)
    named = [n.upper() for n in mentioned]
    if ALL_POLICIES in named or _ALL_WORDS.search(text or ""):
        return due
    chosen = [n for n in named if n in due]
    chosen += [n for n in due if n.lower() in (text or "").lower() and n not in chosen]
    if not chosen:
        chosen = [due[i] for i, pattern in enumerate(_ORDINALS) if i < len(due) and pattern.search(text or "")]
    return chosen


def parse_payment_method(text: str, mentioned: Sequence[str] = ()) -> Optional[str]:
    """bank_debit, wechat_pay or alipay, from a button payload or the customer's own words."""
    for method in mentioned:
        if method in PAYMENT_METHODS:
            return method
    for method, pattern in _METHOD_WORDS.items():
        if pattern.search(text or ""):
            return method
    return None
