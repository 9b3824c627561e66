"""The custom actions, called the way the rasa-sdk action server calls them.

Each test builds a Tracker from a dict (as the server does from Rasa's request), runs the
action with a CollectingDispatcher, and checks the exact events returned and the responses
(with their template variables) the bot would say. The database is real (demo_db).
"""
from __future__ import annotations

import asyncio
import inspect
import re
from datetime import date, timedelta
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, ConversationPaused, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account import ActionApplyLoan, ActionAskLoanAmount, ValidatePolicyLoanForm, ValidateUpdateContactForm
from actions.claims import ActionClaimStatus
from actions.feedback import ActionFeedback
from actions.handoff import ActionFallback, ActionHandoff, ActionHumanLeft, ActionScheduleCallback
from actions.language import ActionDetectLanguage, ActionSessionStart
from actions.policies import ActionQueryPolicy, ActionQueryPremium
from actions.service.core.db import session_scope
from actions.service.formatting import clock_time, long_date
from actions.service.core.models import Feedback, HandoffTicket, LoanApplication, ServiceEvent, VerificationFailure
from actions.service.customers.identity_proof import conversation_scope, proven_customer

from tests.actions.tracker_helpers import (
    SENDER, bot, make_tracker, payments_module, run, said, user, variables, verification_module, verified,
)


def wang_policy_items(language: str) -> List[Dict[str, Any]]:
    due = date.today() + timedelta(days=12)
    if language == "en":
        return [
            dict(product="Anxin Whole Life", number="P2019000001", status="In force", sum_assured="¥200,000",
                 premium="¥6,800", frequency="yearly", due_date=long_date(due, "en")),
            dict(product="Anxin Critical Illness", number="P2021000002", status="In force",
                 sum_assured="¥300,000", premium="¥3,200", frequency="yearly", due_date=long_date(due, "en")),
        ]
    return [
        dict(product="安心终身寿险", number="P2019000001", status="有效", sum_assured="¥200,000",
             premium="¥6,800", frequency="每年", due_date=long_date(due)),
        dict(product="安心重大疾病保险", number="P2021000002", status="有效", sum_assured="¥300,000",
             premium="¥3,200", frequency="每年", due_date=long_date(due)),
    ]


def _tickets() -> List[HandoffTicket]:
    with session_scope() as session:
        return session.query(HandoffTicket).order_by(HandoffTicket.id).all()


# --- the security lock on policy data ------------------------------------------------------------

@pytest.mark.parametrize("slots", [
    {},                                            # never verified
    {"verified": False, "customer_id": 1.0},       # a customer id alone is not enough
    {"verified": True, "customer_id": None},       # nor the flag alone
])
def test_query_policy_refuses_when_not_verified(demo_db, slots):
    events, dispatcher = run(ActionQueryPolicy(), make_tracker(slots, intent="query_policy", text="查保单"))
    assert events == [SlotSet("pending_request", "query_policy"), FollowupAction("verify_identity_form")]
    assert said(dispatcher) == ["utter_need_verification"]
    assert all(variables(m) == {} for m in dispatcher.messages)  # nothing about any policy


@pytest.mark.parametrize("action, intent", [
    (ActionQueryPremium(), "query_premium"),
    (ActionClaimStatus(), "claim_status"),
    (ActionApplyLoan(), "policy_loan"),
])
def test_every_policy_action_refuses_when_not_verified(demo_db, action, intent):
    events, dispatcher = run(action, make_tracker({"loan_policy": "P2016000003", "loan_amount": "1000"}))
    assert events == [SlotSet("pending_request", intent), FollowupAction("verify_identity_form")]
    assert said(dispatcher) == ["utter_need_verification"]
    with session_scope() as session:
        assert session.query(LoanApplication).count() == 0


def test_query_policy_answers_with_one_item_per_policy(demo_db, customers):
    events, dispatcher = run(ActionQueryPolicy(), make_tracker(verified(customers.wang)))
    assert events == []
    assert said(dispatcher) == ["utter_policy_count", "utter_policy_item", "utter_policy_item"]
    assert variables(dispatcher.messages[0]) == {"count": 2}
    assert [variables(m) for m in dispatcher.messages[1:]] == wang_policy_items("zh-Hans")


def test_query_policy_in_english_uses_english_product_names(demo_db, customers):
    events, dispatcher = run(ActionQueryPolicy(), make_tracker(verified(customers.wang, language="en")))
    assert events == []
    assert [variables(m) for m in dispatcher.messages[1:]] == wang_policy_items("en")
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}", dispatcher.messages[1]["due_date"])


def test_query_policy_shows_only_own_policies(demo_db, customers):
    _, dispatcher = run(ActionQueryPolicy(), make_tracker(verified(customers.zhang)))
    assert [m.get("number") for m in dispatcher.messages[1:]] == ["P2016000003"]


def test_query_premium_for_overdue_policy(demo_db, customers):
    _, dispatcher = run(ActionQueryPremium(), make_tracker(verified(customers.chan, language="yue")))
    assert said(dispatcher) == ["utter_premium_overdue", "utter_premium_total"]
    due = date.today() - timedelta(days=20)
    assert variables(dispatcher.messages[0]) == dict(
        product="安心終身壽險", number="P2010000004", premium="¥5,600", days=20,
        grace_end=long_date(due + timedelta(days=60)), grace_left=40)
    assert variables(dispatcher.messages[1]) == {"total": "¥5,600"}


def test_query_premium_due_soon_with_total(demo_db, customers):
    _, dispatcher = run(ActionQueryPremium(), make_tracker(verified(customers.wang)))
    assert said(dispatcher) == ["utter_premium_due", "utter_premium_due", "utter_premium_total"]
    assert [m["days"] for m in dispatcher.messages[:2]] == [12, 12]
    assert variables(dispatcher.messages[2]) == {"total": "¥10,000"}


def test_claim_status(demo_db, customers):
    _, dispatcher = run(ActionClaimStatus(), make_tracker(verified(customers.wang, language="en")))
    assert said(dispatcher) == ["utter_claim_item"]
    steps = [(8 + 9, "Received"), (8 + 4, "Documents checked"), (8, "Under review")]
    timeline = [f"✔ {name} {long_date(date.today() - timedelta(days=days), 'en')}" for days, name in steps]
    assert variables(dispatcher.messages[0]) == dict(
        reference="CL-2026000101", insured="Wang Jianguo", event="Hospital stay",
        event_date=long_date(date.today() - timedelta(days=18), "en"),
        timeline="\n".join(timeline + ["○ Approved", "○ Paid"]), amount="¥12,600", next_step="Approved")
    _, dispatcher = run(ActionClaimStatus(), make_tracker(verified(customers.emily)))
    assert said(dispatcher) == ["utter_no_claims"]


# --- identity check ----------------------------------------------------------------------------------

def _verify(phone: str, last4: str, pending: Optional[str] = None, language: str = "zh-Hans",
            sender_id: str = SENDER):
    verification = verification_module()
    tracker = make_tracker({"phone": phone, "id_last4": last4, "pending_request": pending, "language": language},
                           sender_id=sender_id)
    return run(verification.ActionVerifyIdentity(), tracker)


def without_proof(events, customer_id, sender_id=SENDER):
    """The events with the identity proof taken out, after checking that it names this customer for this chat."""
    [proof] = [e["value"] for e in events if e.get("name") == "identity_proof"]
    assert proven_customer(proof, conversation_scope(sender_id, None)) == customer_id
    return [e for e in events if e.get("name") != "identity_proof"]


def test_verify_success_resumes_pending_policy_query(demo_db, customers):
    events, dispatcher = _verify("13800000001", "5821", pending="query_policy")
    assert without_proof(events, customers.wang) == [
        SlotSet("id_last4", None),
        SlotSet("verified", True),
        SlotSet("customer_id", customers.wang),
        SlotSet("customer_name", "王建国"),
        SlotSet("is_senior", True),
        SlotSet("pending_request", None),
    ]
    assert said(dispatcher) == ["utter_verified", "utter_senior_human_first", "utter_policy_count",
                                "utter_policy_item", "utter_policy_item"]
    assert variables(dispatcher.messages[0]) == {"customer_name": "王建国"}
    assert [variables(m) for m in dispatcher.messages[3:]] == wang_policy_items("zh-Hans")


def test_verify_success_in_english_without_senior_note(demo_db, customers):
    events, dispatcher = _verify("13700000003", "7788", language="en")
    assert without_proof(events, customers.emily) == [
        SlotSet("id_last4", None), SlotSet("verified", True), SlotSet("customer_id", customers.emily),
        SlotSet("customer_name", "Emily Li"), SlotSet("is_senior", False), SlotSet("pending_request", None),
    ]
    assert said(dispatcher) == ["utter_verified"]


def test_verify_uses_english_name_in_english(demo_db):
    events, dispatcher = _verify("13800000001", "5821", language="en")
    assert SlotSet("customer_name", "Wang Jianguo") in events
    assert variables(dispatcher.messages[0]) == {"customer_name": "Wang Jianguo"}


@pytest.mark.parametrize("pending, form", [
    ("pay_premium", "payment_form"),
    ("change_payment_account", "change_account_form"),
    ("update_contact", "update_contact_form"),
    ("policy_loan", "policy_loan_form"),
])
def test_verify_success_continues_pending_form(demo_db, pending, form):
    events, dispatcher = _verify("13900000002", "7340", pending=pending)
    assert events[-1] == FollowupAction(form)
    assert SlotSet("verified", True) in events
    assert said(dispatcher) == ["utter_verified", "utter_senior_human_first"]  # 张秀英 is born 1958


def test_every_verified_request_continues_after_the_identity_check():
    """A new VerifiedAction must be listed in RESUMABLE or FORM_FOR_REQUEST, or the customer would ask twice."""
    import actions.account, actions.claims, actions.payments, actions.policies, actions.reminders  # noqa: E401,F401
    from actions.verified_action import VerifiedAction

    verification = verification_module()
    intents = {cls.intent for cls in VerifiedAction.__subclasses__()}
    assert intents == set(verification.RESUMABLE) | set(verification.FORM_FOR_REQUEST)
    assert not set(verification.RESUMABLE) & set(verification.FORM_FOR_REQUEST)


def test_verify_mismatch_asks_again(demo_db):
    events, dispatcher = _verify("13800000001", "0000", pending="query_policy")
    assert events == [SlotSet("id_last4", None), SlotSet("phone", None), FollowupAction("verify_identity_form")]
    assert said(dispatcher) == ["utter_verification_failed"]
    assert variables(dispatcher.messages[0]) == {"attempts_left": 2}


def test_verify_unknown_phone_answers_like_a_mismatch(demo_db):
    unknown = _verify("13811112222", "5821", sender_id="chat-a")
    wrong = _verify("13800000001", "0000", sender_id="chat-b")
    assert unknown[0] == wrong[0]
    assert unknown[1].messages == wrong[1].messages


def test_verify_locks_after_three_failures(demo_db):
    _verify("13800000001", "0000")
    _, second = _verify("13800000001", "1111")
    assert variables(second.messages[0]) == {"attempts_left": 1}

    events, dispatcher = _verify("13800000001", "2222", pending="query_policy")
    assert events == [SlotSet("id_last4", None), SlotSet("phone", None), SlotSet("pending_request", None)]
    assert said(dispatcher) == ["utter_verification_locked"]
    with session_scope() as session:
        until = session.get(VerificationFailure, f"sender:{SENDER}").locked_until
    assert variables(dispatcher.messages[0]) == {"locked_until": clock_time(until)}

    # The right pair does not get through while locked.
    events, dispatcher = _verify("13800000001", "5821", pending="query_policy")
    assert said(dispatcher) == ["utter_verification_locked"]
    assert not any(e.get("name") == "verified" for e in events)


def _lock_phone_by_strangers(phone: str) -> None:
    for attempt in range(10):
        _verify(phone, "0000", sender_id=f"stranger-{attempt // 2}")


SHARED_CONTACT = {"telegram": {"contact_verified": True}}  # what bot/channels/telegram.py puts on a shared contact


def test_a_telegram_contact_gets_its_owner_past_a_strangers_phone_lock(demo_db, customers):
    _lock_phone_by_strangers("13800000001")
    verification = verification_module()
    contact = {**user("13800000001", channel="telegram"), "metadata": SHARED_CONTACT}
    tracker = make_tracker({"phone": "13800000001", "id_last4": "5821"}, events=[contact, user("5821", channel="telegram")],
                           sender_id="telegram-wang")
    events, _ = run(verification.ActionVerifyIdentity(), tracker)
    assert SlotSet("customer_id", customers.wang) in events


@pytest.mark.parametrize("channel, metadata, text", [
    ("rest", SHARED_CONTACT, "13800000001"),      # a REST client cannot claim a shared contact
    ("telegram", {}, "13800000001"),              # typed, not shared
    ("telegram", SHARED_CONTACT, "13900000002"),  # someone else's contact, then Wang's number typed
])
def test_only_the_own_telegram_contact_proves_the_phone(demo_db, channel, metadata, text):
    _lock_phone_by_strangers("13800000001")
    verification = verification_module()
    event = {**user(text, channel=channel), "metadata": metadata}
    tracker = make_tracker({"phone": "13800000001", "id_last4": "5821"}, events=[event], sender_id="someone")
    _, dispatcher = run(verification.ActionVerifyIdentity(), tracker)
    assert said(dispatcher) == ["utter_verification_locked_phone"]  # says why: the number, not this chat


def test_verify_without_both_slots_does_nothing(demo_db):
    events, dispatcher = _verify(None, "5821")
    assert events == [SlotSet("id_last4", None), SlotSet("phone", None)]
    assert dispatcher.messages == []


def test_remember_request(demo_db):
    verification = verification_module()
    events, dispatcher = run(verification.ActionRememberRequest(), make_tracker(intent="pay_premium", text="交保费"))
    assert events == [SlotSet("pending_request", "pay_premium")]
    assert said(dispatcher) == ["utter_need_verification"]


def _validate(validator, method: str, value: Any, tracker: Optional[Tracker] = None):
    dispatcher = CollectingDispatcher()
    result = getattr(validator, method)(value, dispatcher, tracker or make_tracker(), {})
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    return result, said(dispatcher)


@pytest.mark.parametrize("value", ["12345", "hello", "1380000000", ""])
def test_validate_verify_identity_form_rejects_bad_phone(value):
    validator = verification_module().ValidateVerifyIdentityForm()
    assert _validate(validator, "validate_phone", value) == ({"phone": None}, ["utter_invalid_phone"])


def test_validate_verify_identity_form_normalizes_phone_and_id():
    validator = verification_module().ValidateVerifyIdentityForm()
    assert _validate(validator, "validate_phone", "+86 138 0000 0001") == ({"phone": "13800000001"}, [])
    assert _validate(validator, "validate_id_last4", "582x") == ({"id_last4": "582X"}, [])
    assert _validate(validator, "validate_id_last4", "58") == ({"id_last4": None}, ["utter_invalid_id_last4"])


# --- forms of verified customers -------------------------------------------------------------------

def _luhn_complete(payload: str) -> str:
    digits = [int(c) for c in payload]
    total = sum(d if i % 2 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    return payload + str((10 - total % 10) % 10)


def test_validate_change_account_form_keeps_only_masked_card(demo_db, customers):
    validator = payments_module().ValidateChangeAccountForm()
    card = _luhn_complete("622202123456789")
    spaced = " ".join(card[i:i + 4] for i in range(0, 16, 4))
    result, responses = _validate(validator, "validate_new_account", spaced, make_tracker(verified(customers.wang)))
    assert result == {"new_account": "****" + card[-4:]}
    assert responses == []
    assert card not in str(result)


def test_validate_change_account_form_rejects_bad_card(demo_db, customers):
    validator = payments_module().ValidateChangeAccountForm()
    card = _luhn_complete("622202123456789")
    wrong = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert _validate(validator, "validate_new_account", wrong) == ({"new_account": None}, ["utter_invalid_account"])


def test_validate_update_contact_form(demo_db, customers):
    validator = ValidateUpdateContactForm()
    tracker = make_tracker(verified(customers.wang))
    assert _validate(validator, "validate_new_phone", "139 0000 0002", tracker) == (
        {"new_phone": None}, ["utter_phone_taken"])
    assert _validate(validator, "validate_new_phone", "12", tracker) == ({"new_phone": None}, ["utter_invalid_phone"])
    assert _validate(validator, "validate_new_phone", "138 1111 2222", tracker) == ({"new_phone": "13811112222"}, [])


def test_validate_loan_amount(demo_db, customers):
    validator = ValidatePolicyLoanForm()
    tracker = make_tracker(verified(customers.zhang, loan_policy="P2016000003"))
    assert _validate(validator, "validate_loan_amount", "五万", tracker) == ({"loan_amount": "50000"}, [])
    result, responses = _validate(validator, "validate_loan_amount", "50万", tracker)
    assert (result, responses) == ({"loan_amount": None}, ["utter_loan_too_much"])
    assert _validate(validator, "validate_loan_amount", "abc", tracker) == (
        {"loan_amount": None}, ["utter_invalid_loan_amount"])


def test_loan_form_fills_the_only_policy_by_itself(demo_db, customers):
    validator = ValidatePolicyLoanForm()
    tracker = make_tracker(verified(customers.zhang))
    assert asyncio.run(validator.extract_loan_policy(CollectingDispatcher(), tracker, {})) == {
        "loan_policy": "P2016000003"}
    # With two loanable policies (王建国) the customer chooses.
    tracker = make_tracker(verified(customers.wang))
    assert asyncio.run(validator.extract_loan_policy(CollectingDispatcher(), tracker, {})) == {}


def test_ask_loan_amount_says_the_maximum_first(demo_db, customers):
    events, dispatcher = run(ActionAskLoanAmount(), make_tracker(verified(customers.zhang, loan_policy="P2016000003")))
    assert events == []
    assert said(dispatcher) == ["utter_ask_loan_amount"]
    assert variables(dispatcher.messages[0]) == {"loan_max": "¥416,000"}


def test_validate_loan_policy_only_accepts_own_loanable_policies(demo_db, customers):
    validator = ValidatePolicyLoanForm()
    tracker = make_tracker(verified(customers.wang))
    assert _validate(validator, "validate_loan_policy", "p2021000002", tracker) == ({"loan_policy": "P2021000002"}, [])
    assert _validate(validator, "validate_loan_policy", "P2016000003", tracker) == (  # 张秀英's
        {"loan_policy": None}, ["utter_invalid_payment_choice"])


_LOAN_CLEAR = [SlotSet("loan_policy", None), SlotSet("loan_amount", None)]


def test_apply_loan_over_threshold_goes_to_a_person(demo_db, customers):
    tracker = make_tracker(verified(customers.zhang, loan_policy="P2016000003", loan_amount="350000"),
                           events=[user("我想借35万", "policy_loan"), bot("好的")])
    events, dispatcher = run(ActionApplyLoan(), tracker)
    assert events == _LOAN_CLEAR
    assert said(dispatcher) == ["utter_loan_to_human", "utter_handoff"]
    assert variables(dispatcher.messages[0]) == {"threshold": "¥300,000"}

    (ticket,) = _tickets()
    assert variables(dispatcher.messages[1]) == {"ticket": f"H{ticket.id:06d}"}
    assert (ticket.reason, ticket.customer_id, ticket.sender_id, ticket.channel, ticket.status) == (
        "policy_loan_over_threshold", customers.zhang, SENDER, "rest", "unstaffed")  # no agent online here
    assert ticket.transcript == "customer: 我想借35万\nbot: 好的"
    assert "¥350,000" in ticket.summary
    with session_scope() as session:
        (loan,) = session.query(LoanApplication).all()
        assert (loan.status, loan.amount) == ("referred_to_human", 350000)


def test_apply_loan_handoff_summary_names_the_application(demo_db, customers):
    tracker = make_tracker(verified(customers.zhang, loan_policy="P2016000003", loan_amount="350000"))
    run(ActionApplyLoan(), tracker)
    with session_scope() as session:
        reference = session.query(LoanApplication.reference).scalar()
    (ticket,) = _tickets()
    assert reference in ticket.summary
    assert "P2016000003" in ticket.summary


def test_apply_loan_under_threshold_is_submitted(demo_db, customers):
    tracker = make_tracker(verified(customers.zhang, loan_policy="P2016000003", loan_amount="50000"))
    events, dispatcher = run(ActionApplyLoan(), tracker)
    assert events == _LOAN_CLEAR + [SlotSet("service_completed", True)]
    assert said(dispatcher) == ["utter_loan_submitted"]
    message = variables(dispatcher.messages[0])
    assert message["amount"] == "¥50,000" and message["rate"] == "5%"
    assert re.fullmatch(r"LN-\d{8}-[0-9A-F]{6}", message["reference"])
    assert _tickets() == []


def test_apply_loan_without_a_policy(demo_db, customers):
    events, dispatcher = run(ActionApplyLoan(), make_tracker(verified(customers.emily)))
    assert events == _LOAN_CLEAR
    assert said(dispatcher) == ["utter_no_loan_policy"]


# --- the human lane ---------------------------------------------------------------------------------

@pytest.fixture
def agent_online(demo_db):
    from actions.service.human_lane.agents import create_agent, login
    create_agent("duty", "a long test password", "王芳", skills=("zh-Hans", "zh-Hant", "yue", "en"))
    assert login("duty", "a long test password")


def test_with_a_person_online_the_bot_pauses_and_says_the_place_in_the_queue(agent_online, customers):
    events, dispatcher = run(ActionHandoff(), make_tracker(intent="request_human", text="转人工"))
    assert events == [SlotSet("pending_request", None), ConversationPaused()]
    assert said(dispatcher) == ["utter_handoff"]  # first in the queue: "putting you through now"
    other = make_tracker(intent="request_human", text="人工", sender_id="someone-else")
    events, dispatcher = run(ActionHandoff(), other)
    assert said(dispatcher) == ["utter_handoff_queued"] and events[-1] == ConversationPaused()
    assert (dispatcher.messages[0]["ahead"], dispatcher.messages[0]["minutes"] >= 1) == (1, True)
    senior = make_tracker(verified(customers.wang), intent="request_human", text="转人工", sender_id="wang")
    _, dispatcher = run(ActionHandoff(), senior)
    assert said(dispatcher) == ["utter_handoff"]  # 76 years old: first in the queue


def test_without_a_person_the_bot_stays_and_offers_call_back_times(demo_db):
    events, dispatcher = run(ActionHandoff(), make_tracker({"language": "en"}, intent="request_human", text="human"))
    assert ConversationPaused() not in events
    assert said(dispatcher) == ["utter_handoff_unavailable"]
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert "Tomorrow morning" in titles and "Within an hour" in titles  # the service is open, just nobody free


def test_a_picked_call_back_time_becomes_a_task(demo_db):
    from actions.service.core.models import CallbackTask
    tracker = make_tracker(intent="inform", text='/inform{"callback_time":"tomorrow_am"}',
                           entities=[{"entity": "callback_time", "value": "tomorrow_am"}])
    _, dispatcher = run(ActionScheduleCallback(), tracker)
    assert said(dispatcher) == ["utter_callback_scheduled"] and "09:30" in dispatcher.messages[0]["when"]
    with session_scope() as session:
        assert [(t.reason, t.status) for t in session.query(CallbackTask).all()] == [("handoff", "open")]
    _, again = run(ActionScheduleCallback(), make_tracker(intent="inform", text="/inform", entities=[
        {"entity": "callback_time", "value": "last_year"}]))
    assert said(again) == ["utter_ask_callback_time"] and again.messages[0]["buttons"]


def test_after_the_agent_resolves_the_human_service_gets_one_rating(demo_db):
    events, dispatcher = run(ActionHumanLeft(), make_tracker({"rating_asked": True}, intent="EXTERNAL_human_resolved"))
    assert said(dispatcher) == ["utter_human_left"]
    assert events == [SlotSet("service_completed", True), SlotSet("rating_asked", False)]


def test_handoff_stops_an_active_form_and_stores_the_transcript(demo_db):
    tracker = make_tracker(
        {"pending_request": "query_policy", "requested_slot": "id_last4"},
        intent="request_human", text="转人工", active_loop="verify_identity_form",
        events=[user("我要查保单", "query_policy"), bot("请告诉我您的手机号码。"), user("13800000001"),
                bot("请告诉我您身份证号码的最后4位。"), user("582X"), bot("对不上，请再说一次。"),
                user("转人工", "request_human")],
    )
    events, dispatcher = run(ActionHandoff(), tracker)
    assert events == [SlotSet("pending_request", None), ActiveLoop(None), SlotSet("requested_slot", None)]
    assert said(dispatcher) == ["utter_handoff_unavailable"]  # nobody online in this test

    (ticket,) = _tickets()
    assert dispatcher.messages[0]["ticket"] == f"H{ticket.id:06d}"
    assert (ticket.reason, ticket.customer_id, ticket.channel, ticket.status) == (
        "request_human", None, "rest", "unstaffed")  # no agent online here
    assert ticket.transcript == ("customer: 我要查保单\n"
                                 "bot: 请告诉我您的手机号码。\n"
                                 "customer: ****0001\n"
                                 "bot: 请告诉我您身份证号码的最后4位。\n"
                                 "customer: ****\n"  # the ID answer is not kept for the agent
                                 "bot: 对不上，请再说一次。\n"
                                 "customer: 转人工")
    assert "13800000001" not in ticket.transcript


def test_handoff_without_a_form_and_asking_twice(demo_db, customers):
    tracker = make_tracker(verified(customers.wang, language="en"), intent="request_human", text="human please",
                           events=[user("human please", "request_human")])
    events, dispatcher = run(ActionHandoff(), tracker)
    assert events == [SlotSet("pending_request", None)]
    first = dispatcher.messages[0]["ticket"]
    _, again = run(ActionHandoff(), tracker)
    assert again.messages[0]["ticket"] == first  # the same waiting ticket, no queue-jumping duplicates
    (ticket,) = _tickets()
    assert (ticket.customer_id, ticket.language) == (customers.wang, "en")


def test_handoff_records_why_and_counts_for_analytics(demo_db):
    _, dispatcher = run(ActionHandoff(), make_tracker(intent="report_claim", text="没有保单的家人要报案"))
    assert said(dispatcher) == ["utter_handoff_unavailable"]
    (ticket,) = _tickets()
    assert (ticket.reason, ticket.intent) == ("report_claim", "report_claim")
    with session_scope() as session:
        assert session.query(ServiceEvent.kind, ServiceEvent.detail).all() == [("handoff", "report_claim")]


def test_feedback_is_recorded(demo_db):
    events, dispatcher = run(ActionFeedback(), make_tracker(intent="give_feedback", text="很好用，电话13800000001"))
    assert events == []
    assert said(dispatcher) == ["utter_feedback_thanks"]
    with session_scope() as session:
        assert session.query(Feedback.text).scalar() == "很好用，电话****0001"


@pytest.mark.parametrize("history, expected", [
    ([user("asdfgh", "nlu_fallback")], "utter_ask_rephrase"),
    ([user("asdfgh", "nlu_fallback"), bot("请换个说法"), user("qwerty", "nlu_fallback")], "utter_offer_human"),
    ([user("a", "nlu_fallback"), user("b", "nlu_fallback"), user("c", "nlu_fallback")], "utter_offer_human"),
    # an understood turn in between starts the count again
    ([user("asdf", "nlu_fallback"), user("查保单", "query_policy"), user("qwer", "nlu_fallback")],
     "utter_ask_rephrase"),
    # something we don't do counts as a miss too
    ([user("asdf", "out_of_scope")], "utter_out_of_scope"),
    ([user("天气怎么样", "out_of_scope"), user("qwer", "nlu_fallback")], "utter_offer_human"),
])
def test_fallback(demo_db, history, expected):
    latest = history[-1]
    intent = latest["parse_data"]["intent"]["name"]
    events, dispatcher = run(ActionFallback(), make_tracker(events=history, intent=intent, text=latest["text"]))
    with session_scope() as session:
        assert session.query(ServiceEvent.kind, ServiceEvent.intent).all() == [("fallback", intent)]
    assert events == []
    assert said(dispatcher) == [expected]


# --- language -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, current, expected_events", [
    ("我想搵人工", "zh-Hans", [SlotSet("language", "yue")]),
    ("I want to check my policy", "zh-Hans", [SlotSet("language", "en")]),
    ("我想查保單", "zh-Hans", [SlotSet("language", "zh-Hant")]),
    ("我想查保单", "zh-Hans", []),             # unchanged: nothing to set
    ("/request_human", "en", []),              # a button payload says nothing about the language
    ('/inform{"policy_number":"ALL"}', "yue", []),
    ("ok", "yue", []),
    ("请讲英文", "zh-Hans", [SlotSet("language", "en")]),
])
def test_detect_language(text, current, expected_events):
    events, dispatcher = run(ActionDetectLanguage(), make_tracker({"language": current}, text=text))
    assert events == expected_events
    assert dispatcher.messages == []


def test_session_start_keeps_only_the_language(customers):
    tracker = make_tracker(verified(customers.wang, language="yue"))
    events, _ = run(ActionSessionStart(), tracker)
    assert events == [SessionStarted(), SlotSet("language", "yue"), ActionExecuted("action_listen")]
