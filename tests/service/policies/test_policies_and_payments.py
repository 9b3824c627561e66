"""What customers see about their policies and premiums, and how combined premium payments work."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta

from actions.service.core.db import session_scope
from actions.service.core.models import Payment, PaymentOrder
from actions.service.policies.payments import (
    ALL_POLICIES, PaymentError, PeriodAlreadyPaid, create_payment_order, get_payment_order, parse_payment_method,
    parse_policy_choice, recent_payments, settle_payment_order,
)
from actions.service.policies.lookup import get_policy, list_policies, premiums_due

WANG_POLICIES = ["P2019000001", "P2021000002"]




def _payment_count() -> int:
    with session_scope() as session:
        return session.query(Payment).count()


# --- policies -----------------------------------------------------------------------------------

def test_list_policies_for_wang(customers):
    today = date.today()
    policies = list_policies(customers.wang)
    assert [p.number for p in policies] == WANG_POLICIES
    whole_life, critical = policies
    assert (whole_life.product_name, whole_life.product_name_en) == ("安心终身寿险", "Anxin Whole Life")
    assert whole_life.sum_assured == Decimal("200000")
    assert whole_life.premium == Decimal("6800")
    assert whole_life.cash_value == Decimal("48000")
    assert whole_life.frequency == "annual"
    assert whole_life.status == "in_force"
    assert whole_life.next_due_date == today + timedelta(days=12)
    assert whole_life.days_until_due == 12
    assert whole_life.overdue_days == 0
    assert (whole_life.bank_name, whole_life.account_last4) == ("工商银行", "6612")
    assert (critical.product_name, critical.premium, critical.sum_assured) == (
        "安心重大疾病保险", Decimal("3200"), Decimal("300000"))
    assert critical.name("en") == "Anxin Critical Illness"
    assert critical.name("zh-Hans") == "安心重大疾病保险"


def test_money_survives_the_database_exactly(customers):
    assert isinstance(list_policies(customers.emily)[0].premium, Decimal)
    assert list_policies(customers.emily)[0].premium == Decimal("450")


def test_unknown_customer_has_no_policies(customers):
    assert list_policies(9999) == []
    assert premiums_due(9999) == []


def test_get_policy_only_finds_own_policies(customers):
    assert get_policy(customers.wang, "p2019000001").number == "P2019000001"
    assert get_policy(customers.wang, "P2016000003") is None  # 张秀英's policy


def test_premiums_due_for_wang_both_in_12_days(customers):
    due = premiums_due(customers.wang)
    assert [p.number for p in due] == WANG_POLICIES
    assert all(p.days_until_due == 12 and p.overdue_days == 0 for p in due)


def test_premiums_due_leaves_out_far_away_dates(customers):
    assert premiums_due(customers.zhang) == []  # due in 140 days
    assert [p.number for p in premiums_due(customers.zhang, within_days=140)] == ["P2016000003"]
    assert premiums_due(customers.zhang, within_days=139) == []


def test_overdue_premium_with_grace_days_for_chan(customers):
    (policy,) = premiums_due(customers.chan)
    assert policy.number == "P2010000004"
    assert policy.status == "grace"
    assert policy.days_until_due == -20
    assert policy.overdue_days == 20
    assert policy.grace_days_left == 40  # 60-day grace period


def test_grace_days_never_negative(customers):
    (policy,) = premiums_due(customers.chan, today=date.today() + timedelta(days=100))
    assert policy.overdue_days == 120
    assert policy.grace_days_left == 0


def test_premiums_due_soonest_first(customers):
    # Pay the first of Wang's policies: it moves a year on, the other stays in 12 days.
    order = create_payment_order(customers.wang, ["P2019000001"], "alipay")
    settle_payment_order(order.reference)
    due = premiums_due(customers.wang, within_days=400)
    assert [p.number for p in due] == ["P2021000002", "P2019000001"]
    assert [p.days_until_due for p in due][0] == 12
    assert [p.number for p in premiums_due(customers.wang)] == ["P2021000002"]


# --- payment orders -------------------------------------------------------------------------------

def test_combined_order_sums_both_premiums(customers):
    order = create_payment_order(customers.wang, WANG_POLICIES, "wechat_pay")
    assert order.amount == Decimal("10000")
    assert order.policy_numbers == WANG_POLICIES
    assert order.method == "wechat_pay"
    assert order.status == "pending"
    # 128 random bits in the reference, and the pay link carries its own token (192 bits), not the reference.
    assert re.fullmatch(r"PAY-[A-Z2-7]{26}", order.reference)
    token = order.pay_url.rsplit("/", 1)[1]
    assert order.pay_url == f"https://anxin.test/webhooks/documents/pay/{token}"
    assert len(token) >= 32 and order.reference not in order.pay_url
    assert get_payment_order(order.reference) == replace(order, pay_url="")  # the token is not stored


def test_order_accepts_lower_case_numbers_and_ignores_repeats(customers):
    order = create_payment_order(customers.wang, ["p2019000001"], "bank_debit")
    assert order.policy_numbers == ["P2019000001"]
    assert order.amount == Decimal("6800")
    # The same policy twice is paid once, not twice.
    order = create_payment_order(customers.wang, ["P2021000002", "P2021000002"], "bank_debit")
    assert order.policy_numbers == ["P2021000002"]
    assert order.amount == Decimal("3200")


def test_order_references_are_unique(customers):
    refs = {create_payment_order(customers.wang, WANG_POLICIES, "alipay").reference for _ in range(5)}
    assert len(refs) == 5


@pytest.mark.parametrize("numbers", [
    ["P2016000003"],                       # 张秀英's policy
    ["P2019000001", "P2016000003"],        # one own + one of another customer
    ["P9999999999"],                       # no such policy
    [],
])
def test_policy_of_another_customer_is_refused(customers, numbers):
    with pytest.raises(PaymentError):
        create_payment_order(customers.wang, numbers, "wechat_pay")
    with session_scope() as session:
        assert session.query(PaymentOrder).count() == 0


@pytest.mark.parametrize("method", ["cash", "WeChat", "", "bitcoin"])
def test_unknown_payment_method_is_refused(customers, method):
    with pytest.raises(PaymentError):
        create_payment_order(customers.wang, WANG_POLICIES, method)


def test_unknown_order_cannot_be_settled(customers):
    with pytest.raises(PaymentError):
        settle_payment_order("PAY-AAAAAAAAAAAAAAAAAAAAAAAAAA")


def test_settle_records_payments_and_advances_annual_due_date(customers):
    before = {p.number: p.next_due_date for p in list_policies(customers.wang)}
    count = _payment_count()
    order = create_payment_order(customers.wang, WANG_POLICIES, "wechat_pay")
    settled = settle_payment_order(order.reference, today=date.today())
    assert settled.status == "paid"
    assert get_payment_order(order.reference).status == "paid"
    assert _payment_count() == count + 2

    after = {p.number: p for p in list_policies(customers.wang)}
    for number in WANG_POLICIES:
        assert after[number].next_due_date == before[number] + relativedelta(years=1)
        assert after[number].status == "in_force"

    newest = recent_payments(customers.wang, limit=2)
    assert {p.policy_number: p.amount for p in newest} == {"P2019000001": Decimal("6800"),
                                                           "P2021000002": Decimal("3200")}
    assert all(p.method == "wechat_pay" and p.paid_on == date.today() for p in newest)
    assert {p.period_due_date for p in newest} == {before["P2019000001"]}


def test_settle_is_idempotent(customers):
    order = create_payment_order(customers.wang, WANG_POLICIES, "wechat_pay")
    settle_payment_order(order.reference)
    count = _payment_count()
    due_dates = [p.next_due_date for p in list_policies(customers.wang)]

    again = settle_payment_order(order.reference)  # the provider calls back twice
    assert again.status == "paid"
    assert _payment_count() == count
    assert [p.next_due_date for p in list_policies(customers.wang)] == due_dates


def test_an_older_order_for_a_period_already_paid_never_settles(customers):
    """Two orders for the same period (the customer asked twice): whichever is paid first, the other is refused."""
    older = create_payment_order(customers.wang, WANG_POLICIES, "wechat_pay")
    newer = create_payment_order(customers.wang, ["P2019000001"], "alipay")
    settle_payment_order(newer.reference)
    count = _payment_count()
    due_dates = [p.next_due_date for p in list_policies(customers.wang)]

    with pytest.raises(PeriodAlreadyPaid):
        settle_payment_order(older.reference)
    assert _payment_count() == count
    assert [p.next_due_date for p in list_policies(customers.wang)] == due_dates  # not moved a second year
    assert get_payment_order(older.reference).status == "pending"


def test_a_period_is_paid_once_even_past_the_order_check(customers):
    """The database itself refuses a second payment of one policy period (the last line against a race)."""
    from sqlalchemy.exc import IntegrityError

    order = create_payment_order(customers.emily, ["P2023000005"], "alipay")
    settle_payment_order(order.reference)
    with session_scope() as session:
        paid = session.query(Payment).filter_by(order_reference=order.reference).one()
        twin = Payment(policy_id=paid.policy_id, amount=paid.amount, paid_on=paid.paid_on,
                       period_due_date=paid.period_due_date, method="alipay")
    with pytest.raises(IntegrityError):
        with session_scope() as session:
            session.add(twin)


def test_settle_monthly_policy_advances_one_month(customers):
    (before,) = list_policies(customers.emily)
    order = create_payment_order(customers.emily, ["P2023000005"], "alipay")
    assert order.amount == Decimal("450")
    settle_payment_order(order.reference)
    (after,) = list_policies(customers.emily)
    assert after.next_due_date == before.next_due_date + relativedelta(months=1)


def test_settle_overdue_policy_brings_it_back_in_force(customers):
    (before,) = list_policies(customers.chan)
    assert before.status == "grace"
    settle_payment_order(create_payment_order(customers.chan, ["P2010000004"], "bank_debit").reference)
    (after,) = list_policies(customers.chan)
    assert after.status == "in_force"
    assert after.next_due_date == before.next_due_date + relativedelta(years=1)
    assert premiums_due(customers.chan) == []


def test_invoice_numbers_are_unique(customers):
    for customer, numbers in ((customers.wang, WANG_POLICIES), (customers.emily, ["P2023000005"]),
                              (customers.chan, ["P2010000004"])):
        settle_payment_order(create_payment_order(customer, numbers, "alipay").reference)
    with session_scope() as session:
        invoices = [p.invoice_number for p in session.query(Payment).all()]
    assert len(invoices) == 5 + 4  # 5 seeded payments, 4 new ones
    assert all(invoices)
    assert len(set(invoices)) == len(invoices)
    assert all(re.fullmatch(r"EI\d{4}\d{8}", number) for number in invoices)


# --- understanding the customer's choice ----------------------------------------------------------

DUE = ["P2019000001", "P2021000002"]


@pytest.mark.parametrize("text, mentioned, expected", [
    ("全部", [], DUE),
    ("两张都交", [], DUE),
    ("both", [], DUE),
    ("两个一块交了吧", [], DUE),                            # issue 15: "together" in everyday words
    ("兩個一齊交", [], DUE),
    ("都交", [], DUE),
    ("pay them together", [], DUE),
    ("Pay ALL of them", [], DUE),
    ("/inform", [ALL_POLICIES], DUE),                     # the "pay all together" button
    ("第一张", [], ["P2019000001"]),
    ("第二张", [], ["P2021000002"]),
    ("the second one", [], ["P2021000002"]),
    ("1st", [], ["P2019000001"]),
    ("第三张", [], []),                                    # only two are due
    ("P2021000002", ["P2021000002"], ["P2021000002"]),    # a named number (entity)
    ("交p2021000002这张", [], ["P2021000002"]),            # a number in the text
    ("P2016000003", ["P2016000003"], []),                 # not one of the due policies
    ("asdf qwer", [], []),
    ("今天天气不错", [], []),
    ("", [], []),
])
def test_parse_policy_choice(text, mentioned, expected):
    assert parse_policy_choice(text, mentioned, DUE) == expected


def test_parse_policy_choice_words_containing_all_do_not_choose_everything():
    assert parse_policy_choice("can you call me back later", [], DUE) == []


@pytest.mark.parametrize("text, mentioned, expected", [
    ("微信", [], "wechat_pay"),
    ("用微信支付", [], "wechat_pay"),
    ("WeChat Pay", [], "wechat_pay"),
    ("Alipay", [], "alipay"),
    ("支付宝", [], "alipay"),
    ("支付寶", [], "alipay"),
    ("银行卡", [], "bank_debit"),
    ("銀行扣款", [], "bank_debit"),
    ("debit card please", [], "bank_debit"),
    ("/inform", ["alipay"], "alipay"),          # entity value from a button payload
    ("微信", ["bank_debit"], "bank_debit"),     # a recognised entity wins over the words
    ("随便", ["cash"], None),                   # unknown entity values are ignored
    ("现金", [], None),
    ("", [], None),
])
def test_parse_payment_method(text, mentioned, expected):
    assert parse_payment_method(text, mentioned) == expected
