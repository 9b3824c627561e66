"""Customers' documents behind unguessable, expiring links: e-invoices (PDF) and premium reminders (iCalendar).

The bot hands out a link; bot/pages/documents.py serves it. A link names only a token: which
customer, which document and in which language are kept here, and the document is drawn fresh
from the database each time it is opened. Plain Python, no Rasa.
"""
from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import List, Optional, Sequence, Tuple

from actions.service.core.db import session_scope
from actions.service.formatting import is_english, long_date, mask_account, money
from actions.service.language import to_traditional
from actions.service.core.models import Customer, DocumentLink, Payment, Policy
from actions.service.policies.payments import order_for_pay_token, order_still_payable
from actions.service.core.settings import get_settings

INVOICE = "invoice"
CALENDAR = "calendar"
KINDS = (INVOICE, CALENDAR)

INSURER_ZH = "安心人寿保险股份有限公司"
INSURER_EN = "Anxin Life Insurance Co., Ltd."
CALENDAR_DOMAIN = "anxin-life.example"
PRODID = "-//Anxin Life Insurance Co., Ltd.//Anxin premium reminders//EN"
# The reminder pops up on the morning three days before the due date (09:00 local time):
# an all-day event starts at midnight, so 3 days before it minus 9 hours.
ALARM_BEFORE = timedelta(days=3) - timedelta(hours=9)


class DocumentError(ValueError):
    """The document cannot be linked as asked (not the customer's, no invoice, unknown kind)."""


@dataclass(frozen=True)
class RenderedDocument:
    filename: str
    content_type: str
    body: bytes


# --- links ---------------------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # naive UTC, as stored


def create_document_link(customer_id: int, kind: str, subject: str, language: str,
                         now: Optional[datetime] = None) -> str:
    """Store a new link and return its full URL. kind: invoice (subject = payment id) or calendar
    (subject = comma-separated policy numbers)."""
    if kind not in KINDS:
        raise DocumentError(f"unknown document kind {kind!r}")
    settings = get_settings()
    now = now or _utcnow()
    token = secrets.token_urlsafe(24)
    with session_scope() as session:
        session.add(DocumentLink(
            token=token, kind=kind, customer_id=customer_id, subject=str(subject),
            language=language or "zh-Hans", expires_at=now + timedelta(days=settings.document_link_days),
        ))
    return f"{settings.public_url}/webhooks/documents/{token}"


def invoice_link(customer_id: int, payment_id: int, language: str) -> str:
    """A link to the e-invoice of one of the customer's own payments."""
    with session_scope() as session:
        payment = _own_payment(session, customer_id, payment_id)
        if payment is None:
            raise DocumentError("payment not found for this customer")
        if not payment.invoice_number:
            raise DocumentError("no e-invoice has been issued for this payment")
    return create_document_link(customer_id, INVOICE, str(payment_id), language)


def calendar_link(customer_id: int, policy_numbers: Sequence[str], language: str) -> str:
    """A link to a calendar file with a reminder for each of the customer's named policies."""
    numbers = list(dict.fromkeys(n.strip().upper() for n in policy_numbers if n and n.strip()))
    if not numbers:
        raise DocumentError("no policy named")
    with session_scope() as session:
        if len(_own_policies(session, customer_id, numbers)) != len(numbers):
            raise DocumentError("policy not found for this customer")
    return create_document_link(customer_id, CALENDAR, ",".join(numbers), language)


def render_document(token: str, now: Optional[datetime] = None) -> Optional[RenderedDocument]:
    """The document behind a link, or None if the token is unknown or expired."""
    if not token or len(token) > 64:
        return None
    now = now or _utcnow()
    with session_scope() as session:
        link = session.get(DocumentLink, token)
        if link is None or link.expires_at is None or link.expires_at <= now:
            return None
        if link.kind == INVOICE:
            return _render_invoice(session, link)
        if link.kind == CALENDAR:
            return _render_calendar(session, link, now)
        return None


def _own_payment(session, customer_id: int, payment_id) -> Optional[Payment]:
    try:
        payment_id = int(payment_id)
    except (TypeError, ValueError):
        return None
    return (session.query(Payment).join(Policy)
            .filter(Payment.id == payment_id, Policy.customer_id == customer_id).first())


def _own_policies(session, customer_id: int, numbers: Sequence[str]) -> List[Policy]:
    found = {p.number: p for p in session.query(Policy)
             .filter(Policy.customer_id == customer_id, Policy.number.in_(list(numbers))).all()}
    return [found[n] for n in numbers if n in found]


# --- wording ---------------------------------------------------------------------------------------

_METHODS = {
    "bank_debit": ("银行卡扣款", "Bank debit"),
    "wechat_pay": ("微信支付", "WeChat Pay"),
    "alipay": ("支付宝", "Alipay"),
}


def method_words(method: str) -> Tuple[str, str]:
    """(Chinese, English) name of a payment method."""
    return _METHODS.get(method or "", (method or "", method or ""))


def _chinese(text: str, language: Optional[str]) -> str:
    """Simplified text in the customer's script (Traditional for zh-Hant and yue)."""
    return to_traditional(text, language) if language in ("zh-Hant", "yue") else text


def invoice_amount(amount: Decimal) -> str:
    """¥6,800.00: invoices always show the cents."""
    return f"¥{Decimal(amount):,.2f}"


# --- e-invoice (PDF) ------------------------------------------------------------------------------

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _runs(text: str) -> List[Tuple[bool, str]]:
    """Split text into (is_latin, run): Latin-1 characters in Helvetica, the rest in the CJK font."""
    runs: List[Tuple[bool, str]] = []
    for char in text:
        latin = ord(char) < 256
        if runs and runs[-1][0] == latin:
            runs[-1] = (latin, runs[-1][1] + char)
        else:
            runs.append((latin, char))
    return runs


def _draw(canvas, x: float, y: float, text: str, size: float, bold: bool = False,
          align: str = "left") -> float:
    """Draw mixed Chinese/Latin text; returns its width."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    latin_font = LATIN_BOLD if bold else LATIN_FONT
    runs = [(latin_font if latin else CJK_FONT, run) for latin, run in _runs(text)]
    width = sum(stringWidth(run, font, size) for font, run in runs)
    if align == "right":
        x -= width
    elif align == "center":
        x -= width / 2
    for font, run in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += stringWidth(run, font, size)
    return width


def _render_invoice(session, link: DocumentLink) -> Optional[RenderedDocument]:
    payment = _own_payment(session, link.customer_id, link.subject)
    if payment is None or not payment.invoice_number:
        return None
    customer = session.get(Customer, link.customer_id)
    policy = payment.policy
    body = invoice_pdf(payment, policy, customer, link.language)
    return RenderedDocument(f"invoice-{payment.invoice_number}.pdf", "application/pdf", body)


def invoice_pdf(payment: Payment, policy: Policy, customer: Customer, language: Optional[str]) -> bytes:
    """A one-page bilingual e-invoice with large, clear type."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    _register_fonts()
    zh = lambda text: _chinese(text, language)  # noqa: E731
    method_zh, method_en = method_words(payment.method)
    method_value = f"{zh(method_zh)} / {method_en}"
    if payment.method == "bank_debit" and policy.account_last4:
        method_value += f"  {zh(policy.bank_name or '')} {mask_account(policy.account_last4)}".rstrip()
    rows = [
        (zh("发票号码"), "Invoice No.", payment.invoice_number),
        (zh("付款日期"), "Date paid", f"{long_date(payment.paid_on)}  /  {long_date(payment.paid_on, 'en')}"),
        (zh("保单号"), "Policy No.", policy.number),
        (zh("险种"), "Product", f"{zh(policy.product_name)} / {policy.product_name_en}"),
        (zh("金额"), "Amount", invoice_amount(payment.amount)),
        (zh("付款方式"), "Payment method", method_value),
        (zh("付款人"), "Payer", f"{customer.name} / {customer.name_en}" if customer else ""),
        (zh("所属期应缴日"), "Period due date",
         f"{long_date(payment.period_due_date)}  /  {long_date(payment.period_due_date, 'en')}"
         if payment.period_due_date else ""),
    ]

    buffer = io.BytesIO()
    width, height = A4
    margin = 50
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"{zh('电子发票')} E-Invoice {payment.invoice_number}")
    canvas.setAuthor(INSURER_EN)
    canvas.setSubject(f"{policy.number} {invoice_amount(payment.amount)}")

    # Header band
    navy = colors.HexColor("#0B3D91")
    canvas.setFillColor(navy)
    canvas.rect(0, height - 130, width, 130, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    _draw(canvas, margin, height - 65, zh("电子发票"), 32)
    _draw(canvas, margin + 150, height - 65, "E-Invoice", 26, bold=True)
    _draw(canvas, margin, height - 95, INSURER_ZH, 16)
    _draw(canvas, margin, height - 117, INSURER_EN, 13)

    # Rows: Chinese label over English label on the left, value on the right, large type
    canvas.setFillColor(colors.black)
    y = height - 185
    label_x, value_x = margin, margin + 165
    for label_zh, label_en, value in rows:
        is_amount = label_en == "Amount"
        _draw(canvas, label_x, y, label_zh, 15)
        canvas.setFillColor(colors.HexColor("#444444"))
        _draw(canvas, label_x, y - 17, label_en, 11.5)
        canvas.setFillColor(navy if is_amount else colors.black)
        _draw(canvas, value_x, y - 6, value or "-", 22 if is_amount else 15, bold=is_amount)
        canvas.setFillColor(colors.black)
        canvas.setStrokeColor(colors.HexColor("#BBBBBB"))
        canvas.setLineWidth(0.7)
        canvas.line(margin, y - 30, width - margin, y - 30)
        y -= 62

    # Paid stamp and footer
    canvas.setStrokeColor(colors.HexColor("#C62828"))
    canvas.setFillColor(colors.HexColor("#C62828"))
    canvas.setLineWidth(2.5)
    canvas.roundRect(width - margin - 150, y - 40, 150, 56, 8, stroke=1, fill=0)
    _draw(canvas, width - margin - 75, y - 2, zh("已收款"), 20, align="center")
    _draw(canvas, width - margin - 75, y - 28, "PAID", 16, bold=True, align="center")

    canvas.setFillColor(colors.HexColor("#333333"))
    _draw(canvas, margin, 95, zh(f"本电子发票由{INSURER_ZH}开具。如有疑问，请拨打客服热线 {get_settings().hotline}。"), 12)
    _draw(canvas, margin, 77, f"Issued electronically by {INSURER_EN} Questions? Call {get_settings().hotline}.", 11)
    _draw(canvas, margin, 55, zh("开具日期") + f" / Issued: {payment.paid_on:%Y-%m-%d}", 10)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- premium reminders (iCalendar) -----------------------------------------------------------------

_SUMMARY = {"en": "Premium due {number} {amount}"}
_SUMMARY_ZH = "交保费 {number} {amount}"


def event_uid(policy_number: str, due: date) -> str:
    """Stable per policy and due date: importing the file again updates, never duplicates."""
    return f"premium-{policy_number}-{due:%Y%m%d}@{CALENDAR_DOMAIN}"


def _render_calendar(session, link: DocumentLink, now: datetime) -> Optional[RenderedDocument]:
    numbers = [n for n in (link.subject or "").split(",") if n]
    policies = _own_policies(session, link.customer_id, numbers)
    if not policies:
        return None
    body = calendar_ics(policies, link.language, now)
    return RenderedDocument("premium-reminders.ics", "text/calendar; charset=utf-8", body)


def calendar_ics(policies: Sequence[Policy], language: Optional[str], now: Optional[datetime] = None) -> bytes:
    """One all-day event per policy on its next due date, each with a reminder three days before."""
    from icalendar import Alarm, Calendar, Event

    now = now or _utcnow()
    english = is_english(language)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Anxin premium reminders" if english else _chinese("安心人寿 交保费提醒", language))
    for policy in policies:
        due = policy.next_due_date
        amount = money(policy.premium, language)
        if english:
            summary = _SUMMARY["en"].format(number=policy.number, amount=amount)
            description = (f"{policy.product_name_en} ({policy.number}): premium {amount} due on "
                           f"{long_date(due, 'en')}. Questions? Call {get_settings().hotline}.")
        else:
            summary = _chinese(_SUMMARY_ZH, language).format(number=policy.number, amount=amount)
            description = _chinese(f"{policy.product_name}（{policy.number}）：{long_date(due)}应交保费"
                                   f"{amount}。如有疑问，请拨打客服热线 {get_settings().hotline}。", language)
        if policy.bank_name and policy.account_last4:
            description += (f" Debit account: {policy.bank_name} {mask_account(policy.account_last4)}." if english
                            else _chinese(f"扣款账户：{policy.bank_name} {mask_account(policy.account_last4)}。",
                                          language))
        event = Event()
        event.add("uid", event_uid(policy.number, due))
        event.add("dtstamp", now.replace(tzinfo=timezone.utc))
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(days=1))
        event.add("summary", summary)
        event.add("description", description)
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["Anxin"])
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()


# --- demo checkout --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutItem:
    number_tail: str  # last 4 digits only: a pay link may be forwarded or seen over a shoulder
    product_name: str
    product_name_en: str
    premium: Decimal


@dataclass(frozen=True)
class CheckoutView:
    reference: str
    amount: Decimal
    method: str
    status: str
    items: List[CheckoutItem]
    payable: bool  # pending and every period still due (another order may have paid it meanwhile)


def checkout_view(pay_token: str) -> Optional[CheckoutView]:
    """What the demo checkout page shows for the order its link's token opens: amount, method, status, policies."""
    with session_scope() as session:
        order = order_for_pay_token(session, pay_token)
        if order is None:
            return None
        numbers = [n for n in (order.policy_numbers or "").split(",") if n]
        policies = _own_policies(session, order.customer_id, numbers)
        items = [CheckoutItem(p.number[-4:], p.product_name, p.product_name_en, p.premium) for p in policies]
        return CheckoutView(order.reference, order.amount, order.method, order.status, items,
                            order_still_payable(session, order))
