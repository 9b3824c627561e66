"""Two close meanings: one question naming both, a button for each, never twice in a row (issue 16)."""
from __future__ import annotations

from functools import lru_cache

import pytest
from rasa.shared.core.domain import Domain

from actions.disambiguation import QUESTION, asked_just_before, close_meanings, label
from actions.handoff import ActionFallback
from tests.actions.tracker_helpers import make_tracker, run, user
from tests.servers import ROOT

THRESHOLD = 0.45  # what the FallbackClassifier puts on nlu_fallback (bot/config.yml)


@lru_cache(maxsize=1)
def domain() -> dict:
    return Domain.load(str(ROOT / "bot" / "domain")).as_dict()


def ambiguous(first: str, second: str, topic: str = "payment_methods", first_confidence: float = 0.47) -> dict:
    """The parse the FallbackClassifier leaves when two intents are within its ambiguity threshold."""
    return {"intent": {"name": "nlu_fallback", "confidence": THRESHOLD},
            "intent_ranking": [{"name": "nlu_fallback", "confidence": THRESHOLD},
                               {"name": first, "confidence": first_confidence},
                               {"name": second, "confidence": first_confidence - 0.03},
                               {"name": "greet", "confidence": 0.01}],
            "response_selector": {"faq": {"response": {"intent_response_key": f"faq/{topic}"}}},
            "text": "…"}


def tracker_for(parse: dict, language: str = "zh-Hans", events=None):
    tracker = make_tracker(slots={"language": language}, intent="nlu_fallback", text=parse["text"],
                           events=events or [user(parse["text"], "nlu_fallback")])
    tracker.latest_message = parse
    return tracker


@pytest.mark.parametrize("language, first, second, titles", [
    ("zh-Hans", "现在交费", "了解交费方式", ["现在交费", "了解交费方式"]),
    ("zh-Hant", "现在交费", "了解交费方式", ["現在交費", "瞭解交費方式"]),  # the NLG writes the question's script
    ("yue", "而家交費", "問下交費方法", ["而家交費", "問下交費方法"]),
    ("en", "pay now", "learn the ways to pay", ["Pay now", "Learn the ways to pay"]),
])
def test_the_question_names_both_meanings_with_a_button_each(demo_db, language, first, second, titles):
    _events, dispatcher = run(ActionFallback(), tracker_for(ambiguous("pay_premium", "faq"), language), domain())
    message, = dispatcher.messages
    assert message["response"] == QUESTION
    assert (message["first"], message["second"]) == (first, second)
    assert [b["title"] for b in message["buttons"]] == titles
    assert [b["payload"] for b in message["buttons"]] == ["/pay_premium", "/faq/payment_methods"]


def test_two_services_are_offered_as_two_services(demo_db):
    _events, dispatcher = run(ActionFallback(), tracker_for(ambiguous("report_claim", "claim_status")), domain())
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/report_claim", "/claim_status"]


def test_never_twice_in_a_row(demo_db):
    earlier = [user("…", "nlu_fallback"),
               {"event": "bot", "text": "您是想…", "metadata": {"utter_action": QUESTION}},
               user("…", "nlu_fallback")]
    tracker = tracker_for(ambiguous("pay_premium", "faq"), events=earlier)
    assert asked_just_before(tracker)
    _events, dispatcher = run(ActionFallback(), tracker, domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_offer_human"]  # second miss: a person


def test_a_low_score_is_not_ambiguity_and_gets_the_old_answer(demo_db):
    parse = ambiguous("pay_premium", "faq", first_confidence=0.30)
    assert close_meanings(parse) is None
    _events, dispatcher = run(ActionFallback(), tracker_for(parse), domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_rephrase"]


def test_two_meanings_splitting_the_belief_under_the_threshold_are_offered(demo_db):
    parse = ambiguous("query_premium", "set_reminder", first_confidence=0.44)  # 0.44 / 0.41, nothing else
    assert close_meanings(parse) == ("query_premium", "set_reminder")
    _events, dispatcher = run(ActionFallback(), tracker_for(parse, "en"), domain())
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/query_premium", "/set_reminder"]


def test_a_meaning_without_a_label_is_never_offered(demo_db):
    _events, dispatcher = run(ActionFallback(), tracker_for(ambiguous("greet", "pay_premium")), domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_rephrase"]


def test_every_service_intent_and_faq_topic_has_a_label_in_every_language():
    responses = domain()["responses"]
    topics = [name.split("/", 1)[1] for name in responses if name.startswith("utter_faq/")]
    services = ["query_policy", "query_premium", "pay_premium", "change_payment_account", "request_invoice",
                "set_reminder", "report_claim", "claim_status", "policy_loan", "update_contact", "complaint",
                "give_feedback", "request_human"]
    for meaning in services + [f"faq/{topic}" for topic in topics]:
        for language in ("zh-Hans", "yue", "en"):
            assert label(meaning, language, domain()), (meaning, language)
    assert label("faq/payment_methods", "yue", domain()) != label("faq/payment_methods", "zh-Hans", domain())
