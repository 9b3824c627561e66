"""Renewal reminders on a real SQLite database with a fixed clock: stages, once each, combined, quiet
hours, opt-out, preferences, retries and a crash between send and mark-sent (Telegram = a local
fake Bot API over real HTTP)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from actions.service.core.db import session_scope
from actions.service.core.settings import get_settings
from actions.service.customers.channel_links import link_channel
from actions.service.core.models import (
    Customer, CustomerNotice, OutboundCallRequest, PaymentOrder, Policy, Reminder, ReminderDelivery,
)
from actions.service.reminders.notices import take_unshown_notices
from actions.service.reminders.delivery import LEASE, TelegramChannel, default_channels, dispatch_due
from actions.service.reminders.preferences import get_preferences, update_preferences
from actions.service.reminders.due import preview_due_reminders, scan_due_reminders, stage_for
from actions.service.scheduler import run_once
from tests.service.reminders.fake_bot_api import FakeBotApi

DUE = date(2027, 3, 15)


def at(day: date, hour_utc: int = 2) -> datetime:
    """A fixed clock: 10:00 in Shanghai by default."""
    return datetime(day.year, day.month, day.day, hour_utc)


def add_customer(phone: str, born: date = date(1980, 1, 1), language: str = "zh-Hans", dialect: str = "Mandarin",
                 policies=(("P2099000001", DUE, "6800"),)) -> int:
    with session_scope() as session:
        customer = Customer(name="测试客户", name_en="Test Customer", birth_date=born, phone=phone,
                            id_last4_hash="x", language=language, dialect=dialect)
        session.add(customer)
        for number, due, premium in policies:
            session.add(Policy(number=number, customer=customer, product="whole_life", product_name="安心终身寿险",
                               product_name_en="Anxin Whole Life", status="in_force", sum_assured=Decimal(100000),
                               premium=Decimal(premium), frequency="annual", next_due_date=due,
                               bank_name="工商银行", account_last4="6612"))
        session.flush()
        return customer.id


def notices_of(customer_id: int):
    with session_scope() as session:
        return [n.text for n in session.query(CustomerNotice).filter_by(customer_id=customer_id)
                .order_by(CustomerNotice.id)]


def stages_of(customer_id: int):
    with session_scope() as session:
        return [(r.stage, r.status) for r in session.query(Reminder).filter_by(customer_id=customer_id)
                .order_by(Reminder.id)]


@pytest.fixture
def telegram(monkeypatch):
    with FakeBotApi() as api:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:test")
        monkeypatch.setenv("TELEGRAM_API_URL", api.url)
        get_settings.cache_clear()
        yield api


def test_stage_windows_cover_every_day_once():
    assert [stage_for(d, 60) for d in (31, 30, 8, 7, 2, 1, 0, -1, -29, -30, -54, -55, -60, -61)] == [
        None, "before_30", "before_30", "before_7", "before_7", "before_1", "before_1", "grace_1", "grace_1",
        "grace_30", "grace_30", "grace_55", "grace_55", None]


def test_walk_from_31_days_before_to_60_after_sends_each_stage_once(demo_db):
    customer_id = add_customer("13600000009")
    sent_on = {}
    for offset in range(-31, 61):
        day = DUE + timedelta(days=offset)
        before = len(notices_of(customer_id))
        run_once(at(day), owner="walker")
        run_once(at(day, 5), owner="restarted")  # a restart the same day sends nothing again
        texts = notices_of(customer_id)
        assert len(texts) - before in (0, 1)
        if len(texts) > before:
            sent_on[offset] = texts[-1]
    assert sorted(sent_on) == [-30, -7, -1, 1, 30, 55]
    assert stages_of(customer_id) == [(s, "sent") for s in
                                      ("before_30", "before_7", "before_1", "grace_1", "grace_30", "grace_55")]
    assert "还有30天" in sent_on[-30] and "还有1天" in sent_on[-1]
    assert "已过交费日55天" in sent_on[55] and "2027年5月14日" in sent_on[55]  # last day of grace


def test_a_scheduler_down_for_days_sends_the_missed_stage_late_once_and_not_stale_ones(demo_db):
    customer_id = add_customer("13600000009")
    run_once(at(DUE - timedelta(days=20)))  # down from day -30 to -21: before_30 comes late
    run_once(at(DUE - timedelta(days=3)))  # down from -19 to -4: only before_7, once
    run_once(at(DUE - timedelta(days=2)))
    assert stages_of(customer_id) == [("before_30", "sent"), ("before_7", "sent")]


def test_several_policies_due_together_make_one_message_with_one_payment(customers):
    run_once(at(date.today() + timedelta(days=1)))
    texts = notices_of(customers.wang)
    assert len(texts) == 1
    assert "P2019000001" in texts[0] and "P2021000002" in texts[0] and "共¥10,000" in texts[0]
    assert "/webhooks/documents/pay/" in texts[0] and "/webhooks/documents/" in texts[0]
    assert "换扣款银行卡" in texts[0] and "****6612" in texts[0]
    with session_scope() as session:
        orders = session.query(PaymentOrder).filter_by(customer_id=customers.wang).all()
        assert [(o.policy_numbers, o.amount) for o in orders] == [("P2019000001,P2021000002", Decimal(10000))]
        calls = session.query(OutboundCallRequest).filter_by(customer_id=customers.wang).all()
        assert len(calls) == 1 and "http" not in calls[0].script  # 王建国 is 76: a call request too


def test_texts_in_the_customers_language(customers):
    run_once(at(date.today() + timedelta(days=1)))
    chan, emily = notices_of(customers.chan)[0], notices_of(customers.emily)[0]
    assert "陳大文您好" in chan and "已經過咗交費日" in chan and "寬限期" in chan  # Cantonese, Traditional
    assert emily.startswith("Dear Emily Li") and "stop reminding me" in emily
    assert notices_of(customers.zhang) == []  # annuity not due for months


def test_quiet_hours_hold_until_morning_in_the_customers_time_zone(demo_db):
    shanghai = add_customer("13600000009")
    london = add_customer("13600000008", policies=(("P2099000002", DUE, "100"),))
    update_preferences(london, time_zone="Europe/London")
    evening = datetime(2027, 3, 8, 14, 0)  # 22:00 in Shanghai, 14:00 in London
    run_once(evening)
    assert notices_of(shanghai) == [] and len(notices_of(london)) == 1
    run_once(datetime(2027, 3, 8, 23, 59))  # 07:59 in Shanghai
    assert notices_of(shanghai) == []
    run_once(datetime(2027, 3, 9, 0, 0))  # 08:00 in Shanghai
    assert len(notices_of(shanghai)) == 1 and len(notices_of(london)) == 1


def test_hong_kong_customers_default_to_hong_kong_time(customers):
    assert get_preferences(customers.chan).time_zone == "Asia/Hong_Kong"
    assert get_preferences(customers.wang).time_zone == "Asia/Shanghai"


def test_opt_out_stops_new_and_already_recorded_reminders(demo_db):
    early = add_customer("13600000009")
    late = add_customer("13600000008", policies=(("P2099000002", DUE, "100"),))
    update_preferences(early, opted_out=True)
    scan_due_reminders(at(DUE - timedelta(days=7)))
    update_preferences(late, opted_out=True)  # after the scan recorded it, before it was sent
    dispatch_due(at(DUE - timedelta(days=7)))
    assert stages_of(early) == [] and stages_of(late) == [("before_7", "cancelled")]
    assert notices_of(early) == notices_of(late) == []
    update_preferences(early, opted_out=False)
    run_once(at(DUE - timedelta(days=6)))
    assert len(notices_of(early)) == 1


def test_customer_set_lead_days_add_a_reminder(demo_db):
    customer_id = add_customer("13600000009")
    update_preferences(customer_id, lead_days=3)
    for offset in range(-7, 0):
        run_once(at(DUE + timedelta(days=offset)))
    assert [s for s, _ in stages_of(customer_id)] == ["before_7", "lead_3", "before_1"]


def test_telegram_only_preference_skips_the_call_but_keeps_the_web_copy(demo_db, telegram):
    senior = add_customer("13600000009", born=date(1940, 1, 1))
    link_channel(senior, "telegram", "5550001")
    update_preferences(senior, channels=("telegram",))
    run_once(at(DUE - timedelta(days=7)))
    assert telegram.chats() == ["5550001"]
    with session_scope() as session:
        assert session.query(OutboundCallRequest).filter_by(customer_id=senior).count() == 0
    assert len(notices_of(senior)) == 1


def test_telegram_failures_are_retried_with_backoff_and_sent_once(demo_db, monkeypatch):
    with FakeBotApi(failures=["500", "429"]) as api:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:test")
        monkeypatch.setenv("TELEGRAM_API_URL", api.url)
        get_settings.cache_clear()
        customer_id = add_customer("13600000009")
        link_channel(customer_id, "telegram", "5550002")
        now = at(DUE - timedelta(days=7))
        run_once(now)  # 500: retry in a minute
        run_once(now + timedelta(seconds=30))  # not yet
        assert api.chats() == []
        run_once(now + timedelta(minutes=1))  # 429 retry_after=120: the 5-minute backoff is longer
        assert api.chats() == []
        run_once(now + timedelta(minutes=2))
        assert api.chats() == []
        run_once(now + timedelta(minutes=4))
        run_once(now + timedelta(minutes=30))
        assert api.chats() == ["5550002"]
        assert len(notices_of(customer_id)) == 1  # the web copy was made once, on the first try
        with session_scope() as session:
            telegram_row = session.query(ReminderDelivery).filter_by(channel="telegram").one()
            assert (telegram_row.status, telegram_row.attempts) == ("sent", 3)
            assert session.query(Reminder).one().status == "sent"


def test_blocked_bot_is_not_retried(demo_db, monkeypatch):
    with FakeBotApi(failures=["403"]) as api:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:test")
        monkeypatch.setenv("TELEGRAM_API_URL", api.url)
        get_settings.cache_clear()
        customer_id = add_customer("13600000009")
        link_channel(customer_id, "telegram", "5550003")
        run_once(at(DUE - timedelta(days=7)))
        run_once(at(DUE - timedelta(days=7), 6))
        assert api.chats() == [] and stages_of(customer_id) == [("before_7", "sent")]
        assert len(notices_of(customer_id)) == 1


class CrashAfterSend(TelegramChannel):
    """Sends for real, then the process 'dies' before the outcome is recorded."""

    def deliver(self, outgoing, session=None):
        super().deliver(outgoing, session)
        raise SystemExit("killed between send and mark-sent")


def test_crash_between_send_and_mark_sent_does_not_send_twice(demo_db, telegram):
    customer_id = add_customer("13600000009")
    link_channel(customer_id, "telegram", "5550004")
    now = at(DUE - timedelta(days=7))
    scan_due_reminders(now)
    channels = default_channels()
    channels["telegram"] = CrashAfterSend()
    with pytest.raises(SystemExit):
        dispatch_due(now, owner="doomed", channels=channels)
    assert telegram.chats() == ["5550004"]
    run_once(now + timedelta(minutes=1), owner="survivor")  # the dead owner's lease still holds
    assert stages_of(customer_id) == [("before_7", "claimed")]
    run_once(now + LEASE + timedelta(seconds=1), owner="survivor")
    run_once(now + timedelta(hours=3), owner="survivor")
    assert telegram.chats() == ["5550004"]  # not again
    assert stages_of(customer_id) == [("before_7", "sent")]
    with session_scope() as session:
        statuses = dict(session.query(ReminderDelivery.channel, ReminderDelivery.status).all())
    assert statuses == {"telegram": "unknown", "web": "sent"}
    assert len(notices_of(customer_id)) == 1


def test_a_paid_premium_is_not_reminded(demo_db):
    from actions.service.policies.payments import create_payment_order, settle_payment_order

    customer_id = add_customer("13600000009")
    scan_due_reminders(at(DUE - timedelta(days=7)))
    order = create_payment_order(customer_id, ["P2099000001"], "alipay")
    settle_payment_order(order.reference, today=DUE - timedelta(days=7))
    run_once(at(DUE - timedelta(days=7), 3))
    assert stages_of(customer_id) == [("before_7", "cancelled")] and notices_of(customer_id) == []


def test_dry_run_lists_without_writing(customers):
    planned = preview_due_reminders(at(date.today() + timedelta(days=1)))
    assert {(p.policy_number, p.stage) for p in planned} == {
        ("P2019000001", "before_30"), ("P2021000002", "before_30"), ("P2010000004", "grace_1"),
        ("P2023000005", "before_7")}
    with session_scope() as session:
        assert session.query(Reminder).count() == 0


def test_notices_are_shown_once(customers):
    run_once(at(date.today() + timedelta(days=1)))
    first = take_unshown_notices(customers.wang)
    assert len(first) == 1 and "P2019000001" in first[0]
    assert take_unshown_notices(customers.wang) == []


def test_traditional_chinese_customer_gets_traditional_text(demo_db):
    customer_id = add_customer("13600000009", language="zh-Hant", dialect="Taiwanese Mandarin")
    run_once(at(DUE - timedelta(days=7)))
    text = notices_of(customer_id)[0]
    assert "這裡是安心人壽" in text and "还有" not in text and "還有7天" in text


def test_scheduler_command_dry_run_lists_and_changes_nothing(customers, demo_db):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = dict(os.environ, ANXIN_DATABASE_URL=demo_db, PYTHONPATH=str(root))
    moment = f"{date.today() + timedelta(days=1)}T02:00:00"
    listed = subprocess.run([sys.executable, "-m", "actions.service.scheduler", "--dry-run", "--now", moment],
                            env=env, cwd=root, capture_output=True, text=True, check=True).stdout
    assert "P2019000001" in listed and "before_30" in listed and "P2016000003" not in listed
    with session_scope() as session:
        assert session.query(Reminder).count() == 0
    once = subprocess.run([sys.executable, "-m", "actions.service.scheduler", "--once", "--now", moment],
                          env=env, cwd=root, capture_output=True, text=True, check=True).stdout
    assert "4 new reminders; 3 customers" in once
    again = subprocess.run([sys.executable, "-m", "actions.service.scheduler", "--once", "--now", moment],
                           env=env, cwd=root, capture_output=True, text=True, check=True).stdout
    assert "0 new reminders; 0 customers" in again
