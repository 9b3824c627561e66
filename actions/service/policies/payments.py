"""Premium payment orders (several policies in one payment), settled only on a provider's verified callback."""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Dict, List, Optional, Sequence

from dateutil.relativedelta import relativedelta
from sqlalchemy.exc import IntegrityError

from actions.service.core.db import session_scope
from actions.service.core.models import Customer, Payment, PaymentCallback, PaymentOrder, Policy
from actions.service.policies.demo_payments import DemoPaymentProvider
from actions.service.policies.payment_provider import PaymentNotice, PaymentProvider
from actions.service.policies.lookup import months_per_period
from actions.service.core.settings import get_settings

PAYMENT_METHODS = ("bank_debit", "wechat_pay", "alipay")


def payment_provider() -> PaymentProvider:
    """The provider in use. Only the demo one exists here; it settles nothing unless demo mode is on."""
    return DemoPaymentProvider()


@dataclass(frozen=True)
class OrderView:
    reference: str
    policy_numbers: List[str]
    amount: Decimal
    method: str
    status: str
    pay_url: str  # only when the order is made: the link's token is not stored
    sender_id: str = ""  # the conversation that asked for it (told when it settles)
    channel: str = ""


class PaymentError(ValueError):
    """The order cannot be made or settled as asked (unknown policy or order, nothing due, unknown method)."""


class PeriodAlreadyPaid(PaymentError):
    """Another order has paid (some of) this order's periods: settling it would pay a period twice."""


class CallbackReplayed(PaymentError):
    """This callback (its nonce) was accepted before."""


def _order_view(order: PaymentOrder, pay_url: str = "") -> OrderView:
    return OrderView(order.reference, order.policy_numbers.split(","), order.amount, order.method,
                     order.status, pay_url, order.sender_id or "", order.channel or "")


def new_order_reference() -> str:
    """PAY- and 128 random bits in base32 (26 letters and digits, easy to read out): never guessable."""
    return "PAY-" + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=")


def pay_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def order_for_pay_token(session, token: str) -> Optional[PaymentOrder]:
    """The order a pay link's token opens; only its hash is stored."""
    if not token or len(token) > 64:
        return None
    return session.query(PaymentOrder).filter_by(pay_token_hash=pay_token_hash(token)).first()


def create_payment_order(customer_id: int, policy_numbers: Sequence[str], method: str,
                         provider: Optional[PaymentProvider] = None, sender_id: str = "",
                         channel: str = "") -> OrderView:
    """One order for the customer's chosen policies, for their current premiums combined."""
    if method not in PAYMENT_METHODS:
        raise PaymentError(f"unknown payment method {method!r}")
    provider = provider or payment_provider()
    with session_scope() as session:
        customer = session.get(Customer, customer_id)
        own = {p.number: p for p in customer.policies} if customer else {}
        wanted = list(dict.fromkeys(n.strip().upper() for n in policy_numbers))
        chosen = [own[n] for n in wanted if n in own]
        if not chosen or len(chosen) != len(wanted):
            raise PaymentError("policy not found for this customer")
        amount = sum((p.premium for p in chosen), Decimal(0))
        reference, token = new_order_reference(), secrets.token_urlsafe(24)
        order = PaymentOrder(
            reference=reference, customer_id=customer_id, policy_numbers=",".join(p.number for p in chosen),
            due_dates=",".join(p.next_due_date.isoformat() for p in chosen),
            amount=amount, method=method, pay_url="", pay_token_hash=pay_token_hash(token),
            sender_id=sender_id or None, channel=channel or None,
        )
        session.add(order)
        session.flush()
        return _order_view(order, provider.checkout_url(reference, amount, method, token))


PAID = "paid"


def customer_payment_order(customer_id: int, reference: str) -> Optional[OrderView]:
    """The customer's own order by its reference (None for anyone else's, or none)."""
    if not reference:
        return None
    with session_scope() as session:
        order = session.query(PaymentOrder).filter_by(reference=reference, customer_id=customer_id).first()
        return _order_view(order) if order else None


def get_payment_order(reference: str) -> Optional[OrderView]:
    with session_scope() as session:
        order = session.query(PaymentOrder).filter_by(reference=reference).first()
        return _order_view(order) if order else None


def _periods(order: PaymentOrder) -> Dict[str, date]:
    """Policy number -> the due date of the period this order pays ({} for orders made before periods were kept)."""
    numbers = (order.policy_numbers or "").split(",")
    dates = (order.due_dates or "").split(",")
    if not order.due_dates or len(dates) != len(numbers):
        return {}
    return {number: date.fromisoformat(day) for number, day in zip(numbers, dates)}


def order_still_payable(session, order: PaymentOrder) -> bool:
    """Every period the order pays is still the one due: no other order has paid it meanwhile."""
    periods = _periods(order)
    if order.status != "pending" or not periods:
        return False
    policies = session.query(Policy).filter(Policy.number.in_(list(periods))).all()
    return len(policies) == len(periods) and all(periods[p.number] == p.next_due_date for p in policies)


def settle_payment_order(reference: str, today: Optional[date] = None) -> OrderView:
    """Record the payment of every policy in the order once, and move each due date on a period.

    Settling an order twice changes nothing the second time (payment callbacks repeat). An order whose
    period another order has paid meanwhile is refused (PeriodAlreadyPaid): a period is paid once.
    For reconciling with the provider's own records; no web request reaches it: over HTTP an order is
    settled only by a verified callback (settle_from_callback).
    """
    with session_scope() as session:
        order = session.query(PaymentOrder).filter_by(reference=reference).with_for_update().first()
        if order is None:
            raise PaymentError("unknown order")
        return _settle(session, order, today or date.today())


def settle_from_callback(notice: PaymentNotice, today: Optional[date] = None) -> OrderView:
    """Settle the order a verified callback names. Its nonce is recorded in the same transaction, so the
    same callback sent again settles nothing (CallbackReplayed)."""
    now = datetime.utcnow()
    window = timedelta(seconds=2 * get_settings().payment_callback_window_seconds)
    with session_scope() as session:
        # Older nonces cannot come back: their callbacks are refused as stale before they get here.
        session.query(PaymentCallback).filter(PaymentCallback.received_at < now - window).delete()
        session.add(PaymentCallback(nonce=notice.nonce, reference=notice.reference[:30], received_at=now))
        try:
            session.flush()
        except IntegrityError:
            raise CallbackReplayed("this payment callback was already received") from None
        order = session.query(PaymentOrder).filter_by(reference=notice.reference).with_for_update().first()
        if order is None:
            raise PaymentError("unknown order")
        if order.amount != notice.amount:
            raise PaymentError("the callback's amount is not the order's")
        return _settle(session, order, today or date.today())


def _settle(session, order: PaymentOrder, today: date) -> OrderView:
    if order.status == "paid":
        return _order_view(order)
    if not order_still_payable(session, order):
        raise PeriodAlreadyPaid(f"order {order.reference}: its period is already paid")
    periods = _periods(order)
    try:
        for number, period in periods.items():
            policy = session.query(Policy).filter_by(number=number).with_for_update().one()
            payment = Payment(policy=policy, amount=policy.premium, paid_on=today, period_due_date=period,
                              method=order.method, order_reference=order.reference)
            session.add(payment)
            session.flush()  # the unique (policy, period) index stops a concurrent order for the same period
            payment.invoice_number = invoice_number_for(payment)
            policy.next_due_date = period + relativedelta(months=months_per_period(policy.frequency))
            policy.status = "in_force"
        order.status = "paid"
        session.flush()
    except IntegrityError:
        raise PeriodAlreadyPaid(f"order {order.reference}: its period is already paid") from None
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
_ALL_WORDS = re.compile(r"全部|都|一起|一块|一塊|一齊|一齐|两张|兩張|两个|兩個|两份|兩份|所有|晒|埋一份|"
                        r"\b(?:all|both|every|together)\b", re.I)
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
