"""Debit-account and phone changes, policy loans, and handoff tickets to a human."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from actions.service.customers.accounts import change_debit_account, change_phone, normalize_card_number, phone_in_use
from actions.service.core.db import session_scope
from actions.service.human_lane.handoff import open_handoff_ticket, record_feedback
from actions.service.core.interactions import Interaction
from actions.service.policies.loans import REFERRED, SUBMITTED, apply_for_loan, loanable_policies, max_loan
from actions.service.core.models import ChangeRecord, Customer, Feedback, HandoffTicket, LoanApplication, Policy
from actions.service.policies.lookup import PolicyView, list_policies




def luhn_check_digit(payload: str) -> str:
    """The digit that makes payload + digit pass the Luhn check (written independently of the product)."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        value = int(char)
        if position % 2 == 0:  # these get doubled once the check digit is appended
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def valid_card(payload: str) -> str:
    return payload + luhn_check_digit(payload)


CARD_16 = valid_card("622202123456789")   # 16 digits
CARD_19 = valid_card("622848001234567890")  # 19 digits


def test_luhn_helper_matches_known_test_numbers():
    assert valid_card("411111111111111") == "4111111111111111"  # the classic Visa test card
    assert valid_card("555555555555444") == "5555555555554444"


@pytest.mark.parametrize("text, expected", [
    (CARD_16, CARD_16),
    (CARD_19, CARD_19),
    (" ".join(CARD_16[i:i + 4] for i in range(0, 16, 4)), CARD_16),  # typed in groups
    ("4111-1111-1111-1111", "4111111111111111"),
])
def test_valid_card_numbers_are_accepted(text, expected):
    assert normalize_card_number(text) == expected


@pytest.mark.parametrize("text", [
    CARD_16[:-1] + str((int(CARD_16[-1]) + 1) % 10),  # wrong check digit
    "4111111111111112",
    valid_card("62220212345678"),  # 15 digits
    valid_card("62284800123456789012"),  # 21 digits
    "",
    "my card",
])
def test_invalid_card_numbers_are_refused(text):
    assert normalize_card_number(text) is None


def test_change_debit_account_keeps_only_last4_and_audits_masked(customers):
    masked = change_debit_account(customers.wang, CARD_16)
    assert masked == "****" + CARD_16[-4:]
    assert {p.account_last4 for p in list_policies(customers.wang)} == {CARD_16[-4:]}
    # Other customers' policies are untouched.
    assert [p.account_last4 for p in list_policies(customers.zhang)] == ["3307"]

    with session_scope() as session:
        records = session.query(ChangeRecord).all()
        assert [(r.customer_id, r.kind, r.old_value, r.new_value) for r in records] == [
            (customers.wang, "debit_account", "****6612", "****" + CARD_16[-4:])]
        # Nowhere in the database is more of the card than its last 4 digits.
        stored = [p.account_last4 for p in session.query(Policy).all()]
        assert all(len(value) <= 4 for value in stored)
        assert all(CARD_16[:8] not in (r.old_value + r.new_value) for r in records)


def test_change_debit_account_from_masked_slot_value(customers):
    # The conversation only ever holds ****1234 (see validate_change_account_form).
    assert change_debit_account(customers.emily, "****9876") == "****9876"
    assert [p.account_last4 for p in list_policies(customers.emily)] == ["9876"]


def test_phone_in_use(customers):
    assert phone_in_use("13900000002", customers.wang) is True  # 张秀英's number
    assert phone_in_use("13800000001", customers.wang) is False  # his own number
    assert phone_in_use("13811112222", customers.wang) is False


def test_change_phone_is_audited_masked(customers):
    assert change_phone(customers.wang, "13811112222") == "138****2222"
    with session_scope() as session:
        assert session.get(Customer, customers.wang).phone == "13811112222"
        record = session.query(ChangeRecord).one()
        assert (record.kind, record.old_value, record.new_value) == ("phone", "138****0001", "138****2222")


# --- policy loans -----------------------------------------------------------------------------------

def _view(cash_value: str) -> PolicyView:
    return PolicyView("P0", "x", "x", "in_force", Decimal(0), Decimal(0), "annual", date.today(),
                      Decimal(cash_value), "", "", 0)


@pytest.mark.parametrize("cash_value, expected", [
    ("520000", "416000"),
    ("48000", "38400"),
    ("61000", "48800"),
    ("12345", "9800"),      # 9876 -> rounded down to hundreds
    ("12499.99", "9900"),   # 9999.99 -> 9900
    ("100", "0"),           # 80 -> nothing
    ("0", "0"),
])
def test_max_loan_is_80_percent_rounded_down_to_hundreds(cash_value, expected):
    assert max_loan(_view(cash_value)) == Decimal(expected)


def test_loanable_policies(customers):
    assert [(p.number, max_loan(p)) for p in loanable_policies(customers.zhang)] == [
        ("P2016000003", Decimal("416000"))]
    assert [p.number for p in loanable_policies(customers.wang)] == ["P2019000001", "P2021000002"]
    assert loanable_policies(customers.emily) == []  # term life, no cash value


def _loan_rows():
    with session_scope() as session:
        return [(r.reference, r.amount, r.status) for r in session.query(LoanApplication).all()]


def test_large_loan_is_referred_to_a_person(customers):
    decision = apply_for_loan(customers.zhang, "P2016000003", Decimal("350000"))
    assert decision.status == REFERRED == "referred_to_human"
    assert decision.amount == Decimal("350000")
    assert re.fullmatch(r"LN-\d{8}-[0-9A-F]{6}", decision.reference)
    assert _loan_rows() == [(decision.reference, Decimal("350000"), "referred_to_human")]


def test_small_loan_is_submitted(customers):
    decision = apply_for_loan(customers.zhang, "P2016000003", Decimal("50000"))
    assert decision.status == SUBMITTED == "submitted"
    assert _loan_rows() == [(decision.reference, Decimal("50000"), "submitted")]


def test_loan_at_the_threshold_is_still_submitted(customers):
    assert apply_for_loan(customers.zhang, "P2016000003", Decimal("300000")).status == SUBMITTED
    assert apply_for_loan(customers.zhang, "P2016000003", Decimal("300000.01")).status == REFERRED


def test_the_maximum_itself_may_be_borrowed(customers):
    assert apply_for_loan(customers.zhang, "P2016000003", Decimal("416000")).amount == Decimal("416000")


@pytest.mark.parametrize("amount", ["416100", "416000.01", "1000000", "0", "-100"])
def test_loan_outside_the_allowed_range_raises(customers, amount):
    with pytest.raises(ValueError):
        apply_for_loan(customers.zhang, "P2016000003", Decimal(amount))
    assert _loan_rows() == []


def test_loan_on_another_customers_policy_raises(customers):
    with pytest.raises(ValueError):
        apply_for_loan(customers.wang, "P2016000003", Decimal("1000"))
    with pytest.raises(ValueError):
        apply_for_loan(customers.emily, "P2023000005", Decimal("100"))  # no cash value
    assert _loan_rows() == []


# --- handoff tickets ---------------------------------------------------------------------------------

def _tickets():
    with session_scope() as session:
        return [(t.id, t.sender_id, t.customer_id, t.reason, t.channel, t.language, t.summary, t.transcript,
                 t.status) for t in session.query(HandoffTicket).order_by(HandoffTicket.id).all()]


def test_ticket_transcript_masks_long_digit_runs(customers):
    transcript = [
        ("customer", "我要查保单"),
        ("bot", "请告诉我您的手机号码。"),
        ("customer", "13800000001"),
        ("customer", "卡号 6222021234567894 扣款失败"),
        ("bot", ""),  # empty lines are left out
        ("customer", "验证码 123456，尾号 0001"),  # short runs stay readable
    ]
    ticket = open_handoff_ticket(Interaction("chat-1", customers.wang, "rest", "zh-Hans", "request_human"),
                                 "request_human", transcript, summary="call me on 13800000001")
    assert ticket.reference == f"H{ticket.id:06d}"
    ((_, sender, customer, reason, channel, language, summary, text, status),) = _tickets()
    # No agent is online here: the ticket is kept but not queued (the bot stays on and offers a call-back).
    assert (sender, customer, reason, channel, language, status) == (
        "chat-1", customers.wang, "request_human", "rest", "zh-Hans", "unstaffed")
    assert text == ("customer: 我要查保单\n"
                    "bot: 请告诉我您的手机号码。\n"
                    "customer: ****0001\n"
                    "customer: 卡号 ****7894 扣款失败\n"
                    "customer: 验证码 123456，尾号 0001")
    assert "13800000001" not in text and "6222021234567894" not in text
    assert summary == "call me on ****0001"


def test_second_request_reuses_the_waiting_ticket(customers):
    first = open_handoff_ticket(Interaction("chat-1", customers.wang), "request_human", [("customer", "人工")])
    second = open_handoff_ticket(Interaction("chat-1"), "request_human", [("customer", "人工"), ("customer", "快点")])
    assert second == first
    ((_, _, customer, _, _, _, _, text, _),) = _tickets()
    assert customer == customers.wang  # kept although the second request did not know it
    assert text == "customer: 人工\ncustomer: 快点"  # the newer transcript

    other = open_handoff_ticket(Interaction("chat-2"), "complaint", [("customer", "投诉")])
    assert other.id != first.id
    assert len(_tickets()) == 2


def test_closed_ticket_is_not_reused(customers):
    first = open_handoff_ticket(Interaction("chat-1"), "request_human", [("customer", "人工")])
    with session_scope() as session:
        session.get(HandoffTicket, first.id).status = "closed"
    assert open_handoff_ticket(Interaction("chat-1"), "request_human", [("customer", "又来了")]).id != first.id


def test_feedback_is_stored_masked(customers):
    feedback_id = record_feedback(Interaction("chat-1", customers.wang, "rest", "zh-Hans", "give_feedback"),
                                  "客服很好，我电话13800000001", rating=5)
    with session_scope() as session:
        row = session.get(Feedback, feedback_id)
        assert (row.text, row.rating, row.customer_id) == ("客服很好，我电话****0001", 5, customers.wang)
