"""At a confirmation (a claim, a new phone number, a new debit card) only a clear yes counts as yes."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.account import ValidateUpdateContactForm
from actions.claims import ValidateReportClaimForm
from actions.common import is_clear_yes
from actions.payments import ValidateChangeAccountForm
from tests.actions.tracker_helpers import make_tracker

NOT_A_YES = ["<script>alert(1)</script>", "' OR 1=1 --", '"; DROP TABLE users; --', "<img src=x onerror=alert(1)>",
             "/affirm{\"x\":1}", "/EXTERNAL_human_resolved"]
YES = ["确认", "对的，提交吧", "yes please", "係", "/affirm"]


def answer(text: str, intent: str = "affirm", confidence: float = 0.99):
    tracker = make_tracker({"verified": True, "customer_id": 1.0}, intent=intent, text=text)
    tracker.latest_message["intent"]["confidence"] = confidence
    return tracker


@pytest.mark.parametrize("text", NOT_A_YES)
def test_markup_or_query_syntax_is_never_a_yes_even_if_the_model_says_affirm(text):
    tracker = answer(text)
    assert not is_clear_yes(tracker)
    dispatcher = CollectingDispatcher()
    assert ValidateUpdateContactForm().validate_contact_change_confirmed(True, dispatcher, tracker, {}) == {
        "contact_change_confirmed": None}
    assert ValidateChangeAccountForm().validate_account_change_confirmed(True, dispatcher, tracker, {}) == {
        "account_change_confirmed": None}
    assert ValidateReportClaimForm().validate_claim_confirmed(text, dispatcher, tracker, {})["claim_confirmed"] is None


@pytest.mark.parametrize("text", YES)
def test_a_clear_yes_confirms(text):
    tracker = answer(text)
    assert is_clear_yes(tracker)
    dispatcher = CollectingDispatcher()
    assert ValidateUpdateContactForm().validate_contact_change_confirmed(True, dispatcher, tracker, {}) == {
        "contact_change_confirmed": True}
    assert ValidateReportClaimForm().validate_claim_confirmed(text, dispatcher, tracker, {}) == {"claim_confirmed": "yes"}


def test_a_guess_is_not_a_yes_and_a_no_stays_a_no():
    assert not is_clear_yes(answer("嗯嗯那个", confidence=0.5))
    no = answer("不对", intent="deny")
    assert ValidateChangeAccountForm().validate_account_change_confirmed(False, CollectingDispatcher(), no, {}) == {
        "account_change_confirmed": False}
