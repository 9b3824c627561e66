"""An agent checks a customer's identity in the console: record lookup, the answers compared, the try
limit per ticket, the audit without digits, and the customer's typed answers masked in the ticket."""
from __future__ import annotations

import pytest

from actions.service.core.db import session_scope
from actions.service.core.interactions import Interaction
from actions.service.core.models import AuditEntry
from actions.service.human_lane.agents import create_agent, login
from actions.service.human_lane.handoff import (
    get_ticket, handoff_backend, open_handoff_ticket, take_ticket, ticket_messages,
)
from actions.service.human_lane.identity_checks import (
    MISMATCH, NOT_YOURS, TOO_MANY, UNREADABLE, VERIFIED, audit_outcomes, check_identity_for_ticket, checks_left,
    parse_birth_date,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def taken(demo_db):
    """A locked-out (unverified) customer's ticket, taken by agent 王芳; returns (ticket id, agent id)."""
    agent = create_agent("wang.fang", PASSWORD, "王芳")
    login("wang.fang", PASSWORD)
    ticket = open_handoff_ticket(Interaction("locked-out", None, "rest", "zh-Hans", "request_human"),
                                 "request_human", [("customer", "转人工")])
    assert take_ticket(ticket.id, agent.id)
    return ticket.id, agent.id


def test_birth_dates_as_people_write_them():
    assert {parse_birth_date(t) for t in ("1950-05-12", "1950/5/12", "1950年5月12日", "19500512", "１９５０-０５-１２")} \
        == {parse_birth_date("1950-05-12")}
    assert parse_birth_date("1950-13-40") is None and parse_birth_date("五月") is None


def test_right_answers_by_phone_verify_the_customer_and_the_ticket_names_the_agent(taken, customers):
    ticket_id, agent_id = taken
    result = check_identity_for_ticket(ticket_id, agent_id, "138 0000 0001", "5821", "1950年5月12日")
    assert result.outcome == VERIFIED and result.customer_id == customers.wang and result.is_senior
    view = get_ticket(ticket_id)
    assert view.customer_id == customers.wang and view.verified_by == "王芳"
    assert audit_outcomes(ticket_id) == ["verified"]


def test_a_policy_number_finds_the_policyholder(taken, customers):
    ticket_id, agent_id = taken
    result = check_identity_for_ticket(ticket_id, agent_id, "p2016000003", "7340", "1958-09-03")
    assert (result.outcome, result.customer_id) == (VERIFIED, customers.zhang)


def test_wrong_answers_are_counted_and_the_ticket_stops_taking_checks(taken):
    ticket_id, agent_id = taken
    wrong = [check_identity_for_ticket(ticket_id, agent_id, "13800000001", "5821", "1951-05-12"),  # birth date
             check_identity_for_ticket(ticket_id, agent_id, "13800000001", "1234", "1950-05-12"),  # ID digits
             check_identity_for_ticket(ticket_id, agent_id, "13800009999", "5821", "1950-05-12")]  # nobody's phone
    assert [(r.outcome, r.attempts_left) for r in wrong] == [(MISMATCH, 2), (MISMATCH, 1), (MISMATCH, 0)]
    # now even the right answers are refused on this ticket
    assert check_identity_for_ticket(ticket_id, agent_id, "13800000001", "5821", "1950-05-12").outcome == TOO_MANY
    assert get_ticket(ticket_id).verified_by == "" and checks_left(ticket_id) == 0
    assert audit_outcomes(ticket_id) == ["mismatch", "mismatch", "mismatch", "too_many"]


def test_unreadable_answers_are_not_counted(taken):
    ticket_id, agent_id = taken
    assert check_identity_for_ticket(ticket_id, agent_id, "王建国", "58", "去年").outcome == UNREADABLE
    assert checks_left(ticket_id) == 3


def test_only_the_agent_who_has_the_conversation_checks(taken):
    ticket_id, _ = taken
    other = create_agent("li.na", PASSWORD, "李娜")
    assert check_identity_for_ticket(ticket_id, other.id, "13800000001", "5821", "1950-05-12").outcome == NOT_YOURS
    assert get_ticket(ticket_id).verified_by == ""


def test_no_answer_is_kept_in_the_audit_or_in_the_ticket(taken):
    ticket_id, agent_id = taken
    handoff_backend().customer_message(ticket_id, "后四位5821，生日1950年5月12日")
    check_identity_for_ticket(ticket_id, agent_id, "13800000001", "1111", "1950-05-12")  # wrong, then right
    check_identity_for_ticket(ticket_id, agent_id, "13800000001", "5821", "1950-05-12")
    with session_scope() as session:
        details = [d for (d,) in session.query(AuditEntry.detail).filter(AuditEntry.ticket_id == ticket_id)]
    assert details and not any(secret in d for d in details for secret in ("5821", "1111", "1950", "13800000001"))
    said = [m.text for m in ticket_messages(ticket_id) if m.author == "customer"]
    assert said == ["后四位****，生日****"]
