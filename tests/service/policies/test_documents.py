"""E-invoice and calendar links: unguessable, expiring, only for the customer's own payments and policies."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar
from pypdf import PdfReader

from actions.service.core.db import session_scope
from actions.service.policies.documents import (
    DocumentError, calendar_link, create_document_link, invoice_link, render_document,
)
from actions.service.core.models import Customer
from actions.service.policies.payments import create_payment_order, recent_payments, settle_payment_order
from actions.service.policies.lookup import list_policies

WANG, ZHANG = "13800000001", "13900000002"


def customer_id(phone: str) -> int:
    with session_scope() as session:
        return session.query(Customer).filter_by(phone=phone).one().id


def token_of(url: str) -> str:
    prefix = "https://anxin.test/webhooks/documents/"
    assert url.startswith(prefix)
    return url[len(prefix):]


def pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def test_invoice_pdf_shows_number_amount_policy_and_payer(demo_db):
    wang = customer_id(WANG)
    payment = recent_payments(wang)[0]
    document = render_document(token_of(invoice_link(wang, payment.id, "zh-Hans")))

    assert document.filename == f"invoice-{payment.invoice_number}.pdf"
    assert document.content_type == "application/pdf"
    assert document.body.startswith(b"%PDF")
    text = pdf_text(document.body)
    assert payment.invoice_number in text
    assert f"¥{payment.amount:,.2f}" in text
    assert payment.policy_number in text
    for words in ("电子发票", "E-Invoice", "安心人寿保险股份有限公司", "Anxin Life Insurance Co., Ltd.",
                  "王建国", "Wang Jianguo", "Invoice No.", "Amount", "Bank debit", payment.product_name):
        assert words in text


def test_invoice_of_a_chat_payment_shows_its_method(demo_db):
    wang = customer_id(WANG)
    order = create_payment_order(wang, ["P2019000001"], "wechat_pay")
    settle_payment_order(order.reference, today=date(2026, 3, 2))
    payment = recent_payments(wang)[0]
    assert payment.method == "wechat_pay"

    text = pdf_text(render_document(token_of(invoice_link(wang, payment.id, "en"))).body)
    assert payment.invoice_number in text and "¥6,800.00" in text
    assert "WeChat Pay" in text and "微信支付" in text
    assert "2 Mar 2026" in text


def test_links_are_unguessable_and_distinct(demo_db):
    wang = customer_id(WANG)
    payment = recent_payments(wang)[0]
    first, second = (token_of(invoice_link(wang, payment.id, "zh-Hans")) for _ in range(2))
    assert first != second
    assert len(first) >= 32


def test_expired_and_unknown_tokens_render_nothing(demo_db):
    wang = customer_id(WANG)
    payment = recent_payments(wang)[0]
    created = datetime(2020, 1, 1, 12, 0)
    token = token_of(create_document_link(wang, "invoice", str(payment.id), "zh-Hans", now=created))

    assert render_document(token, now=created + timedelta(days=6, hours=23)) is not None
    assert render_document(token, now=created + timedelta(days=7)) is None
    assert render_document(token, now=created + timedelta(days=30)) is None
    assert render_document(token) is None  # created "in the past": long expired today
    assert render_document("no-such-token") is None
    assert render_document("") is None
    assert render_document("x" * 500) is None


def test_another_customers_payment_or_policy_is_refused(demo_db):
    wang, zhang = customer_id(WANG), customer_id(ZHANG)
    zhangs_payment = recent_payments(zhang)[0]
    with pytest.raises(DocumentError):
        invoice_link(wang, zhangs_payment.id, "zh-Hans")
    with pytest.raises(DocumentError):
        invoice_link(wang, 999_999, "zh-Hans")
    with pytest.raises(DocumentError):
        calendar_link(wang, ["P2019000001", "P2016000003"], "zh-Hans")
    with pytest.raises(DocumentError):
        calendar_link(wang, [], "zh-Hans")
    with pytest.raises(DocumentError):
        create_document_link(wang, "passport", "1", "zh-Hans")


def test_calendar_has_each_due_date_with_an_alarm_three_days_before(demo_db):
    wang = customer_id(WANG)
    policies = {p.number: p for p in list_policies(wang)}
    document = render_document(token_of(calendar_link(wang, list(policies), "en")))

    assert document.filename == "premium-reminders.ics"
    assert document.content_type.startswith("text/calendar")
    calendar = Calendar.from_ical(document.body)
    assert "Anxin" in str(calendar["PRODID"])
    events = calendar.walk("VEVENT")
    assert len(events) == len(policies) == 2
    for event in events:
        number = str(event["SUMMARY"]).split()[2]
        policy = policies[number]
        due = event.decoded("DTSTART")
        assert isinstance(due, date) and not isinstance(due, datetime)  # all-day
        assert due == policy.next_due_date
        assert str(event["SUMMARY"]) == f"Premium due {number} ¥{int(policy.premium):,}"
        alarms = event.walk("VALARM")
        assert len(alarms) == 1
        assert str(alarms[0]["ACTION"]) == "DISPLAY"
        reminder = datetime.combine(due, datetime.min.time()) + alarms[0].decoded("TRIGGER")
        assert reminder == datetime.combine(due - timedelta(days=3), datetime.min.time()) + timedelta(hours=9)
        assert str(event["UID"]) == f"premium-{number}-{due:%Y%m%d}@anxin-life.example"


def test_calendar_uids_are_stable_and_follow_the_due_date(demo_db):
    wang = customer_id(WANG)

    def uids(language: str):
        body = render_document(token_of(calendar_link(wang, ["P2019000001"], language))).body
        return [str(e["UID"]) for e in Calendar.from_ical(body).walk("VEVENT")]

    assert uids("zh-Hans") == uids("en")  # importing again updates the same event
    before = uids("zh-Hans")
    order = create_payment_order(wang, ["P2019000001"], "alipay")
    settle_payment_order(order.reference)
    assert uids("zh-Hans") != before  # the next period is a new reminder


def test_calendar_speaks_the_customers_language(demo_db):
    wang = customer_id(WANG)
    body = render_document(token_of(calendar_link(wang, ["P2019000001"], "zh-Hans"))).body
    assert [str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT")] == ["交保费 P2019000001 ¥6,800"]
    body = render_document(token_of(calendar_link(wang, ["p2019000001"], "zh-Hant"))).body
    assert [str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT")] == ["交保費 P2019000001 ¥6,800"]
