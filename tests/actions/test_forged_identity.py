"""Issue 12 item 1: a tracker that merely says `verified: true, customer_id: N` gets nothing.

Only the signed proof the identity check sets (actions.service.customers.identity_proof) names a customer,
and only for the conversation it was signed for, until it expires.
"""
from __future__ import annotations

import time

import pytest
from rasa_sdk.events import FollowupAction, SlotSet

from actions.account import ActionUpdateContact
from actions.payments import ActionRequestInvoice
from actions.policies import ActionQueryPolicy, ActionQueryPremium
from actions.service.core.db import session_scope
from actions.service.customers.identity_proof import conversation_scope, proven_customer, sign_identity
from actions.service.core.models import Customer

from tests.actions.tracker_helpers import SENDER, make_tracker, run, said, verified

ASKS_FOR_THE_CHECK = [SlotSet("pending_request", "query_policy"), FollowupAction("verify_identity_form")]


def forged(customer_id: int, proof=None) -> dict:
    slots = {"verified": True, "customer_id": float(customer_id)}
    if proof is not None:
        slots["identity_proof"] = proof
    return slots


def test_the_proof_names_its_customer_for_its_chat_until_it_expires(demo_db):
    proof = sign_identity(7, "chat-a", now=1_000_000)
    assert proven_customer(proof, "chat-a", now=1_000_000) == 7
    assert proven_customer(proof, "chat-b", now=1_000_000) is None  # copied into another conversation
    assert proven_customer(proof, "chat-a", now=1_000_000 + 13 * 3600) is None  # expired (12 h)
    assert proven_customer(proof, "chat-a", now=1_000_000 + 11 * 3600) == 7
    customer, expires, mac = proof.split(".")
    assert proven_customer(f"8.{expires}.{mac}", "chat-a", now=1_000_000) is None  # another customer
    assert proven_customer(f"{customer}.{int(expires) + 9999}.{mac}", "chat-a", now=1_000_000) is None
    for junk in (None, "", True, 7, "7", "7.1.", "a.b.c", "7.99999999999.\ud800", "٧.99999999999.00"):
        assert proven_customer(junk, "chat-a") is None


@pytest.mark.parametrize("proof", [
    None,                                       # the bare slots the attacker posted
    "1.99999999999.0000",                       # a made-up signature
    "another chat",                             # filled in below: a real proof of another conversation
])
def test_policy_actions_show_nothing_to_a_forged_identity(demo_db, customers, proof):
    if proof == "another chat":
        proof = sign_identity(customers.wang, conversation_scope("someone-else", None))
    events, dispatcher = run(ActionQueryPolicy(), make_tracker(forged(customers.wang, proof), intent="query_policy"))
    assert events == ASKS_FOR_THE_CHECK
    assert said(dispatcher) == ["utter_need_verification"]
    for action in (ActionQueryPremium(), ActionRequestInvoice()):
        _, dispatcher = run(action, make_tracker(forged(customers.wang, proof)))
        assert said(dispatcher) == ["utter_need_verification"]


def test_a_proof_for_one_customer_does_not_open_another(demo_db, customers):
    slots = forged(customers.wang, sign_identity(customers.emily, conversation_scope(SENDER, None)))
    events, _ = run(ActionQueryPolicy(), make_tracker(slots, intent="query_policy"))
    assert events == ASKS_FOR_THE_CHECK


def test_a_forged_identity_cannot_change_a_phone_number(demo_db, customers):
    """The issue's action_update_contact attack: a confirmed change in a forged chat changes nothing."""
    slots = {**forged(customers.wang), "new_phone": "13600000009", "contact_change_confirmed": True}
    _, dispatcher = run(ActionUpdateContact(), make_tracker(slots, intent="affirm"))
    assert said(dispatcher) == ["utter_need_verification"]
    with session_scope() as session:
        assert session.get(Customer, customers.wang).phone == "13800000001"


def test_the_real_proof_still_opens_the_door(demo_db, customers):
    events, dispatcher = run(ActionQueryPolicy(), make_tracker(verified(customers.wang), intent="query_policy"))
    assert events == [] and said(dispatcher)[0] == "utter_policy_count"


def test_an_expired_proof_opens_nothing(demo_db, customers):
    slots = forged(customers.wang, sign_identity(customers.wang, conversation_scope(SENDER, None),
                                                 now=time.time() - 13 * 3600))
    events, _ = run(ActionQueryPolicy(), make_tracker(slots, intent="query_policy"))
    assert events == ASKS_FOR_THE_CHECK


@pytest.mark.parametrize("verified_on, asked_on", [("telegram", "rest"), ("telegram", "voice"), ("rest", "telegram")])
def test_a_telegram_chat_id_does_not_carry_its_identity_to_another_channel(demo_db, customers, verified_on, asked_on):
    """A Telegram sender id is the chat id, no secret: a REST or voice-message post naming it must not
    continue the verified Telegram conversation (all channels share one tracker store)."""
    def turn(channel):
        return [{"event": "user", "text": "my policies", "input_channel": channel,
                 "parse_data": {"intent": {"name": "query_policy", "confidence": 0.9}}}]

    proof = sign_identity(customers.wang, conversation_scope(SENDER, verified_on))
    events, dispatcher = run(ActionQueryPolicy(), make_tracker(forged(customers.wang, proof), intent="query_policy",
                                                               events=turn(asked_on)))
    assert events == ASKS_FOR_THE_CHECK and said(dispatcher) == ["utter_need_verification"]
    events, dispatcher = run(ActionQueryPolicy(), make_tracker(forged(customers.wang, proof), intent="query_policy",
                                                               events=turn(verified_on)))
    assert events == [] and said(dispatcher)[0] == "utter_policy_count"  # on its own channel it still opens
