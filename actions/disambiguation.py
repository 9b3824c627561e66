"""Two meanings close together: ask which one, with a big button for each (issue 16).

Rasa's FallbackClassifier answers nlu_fallback when the top two intents are within its ambiguity
threshold. Then the customer is asked one short question naming both ("您是想现在交费，还是想了解
交费方式？"); the button sends the meaning as a payload, so the form or the FAQ answer follows at
once. Never twice in a row: an unclear answer to the question is a plain miss.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import button, language_of

QUESTION = "utter_ask_which_meaning"
FALLBACK_INTENT = "nlu_fallback"
FAQ_INTENT = "faq"
# Under the threshold, two meanings that between them hold most of the classifier's belief, neither twice
# the other, are a two-way split too ("I want to know when my next premium is due": query_premium 0.44,
# set_reminder 0.44), not a sentence it did not understand (0.27 / 0.17 / 0.15 over several intents).
TWO_WAY_SHARE = 0.75


def _label_response(meaning: str) -> str:
    """'pay_premium' -> utter_meaning_pay_premium; 'faq/grace_period' -> utter_meaning_faq_grace_period."""
    return "utter_meaning_" + meaning.replace("/", "_")


def _payload(meaning: str) -> str:
    # "/faq/<topic>" is read by bot/nlu/chosen_meaning.py, which fills in the FAQ answer.
    return "/" + meaning


def close_meanings(message: Dict[str, Any]) -> Optional[Tuple[str, str]]:
    """The two meanings the classifier could not choose between, or None when it simply did not know.

    The FallbackClassifier puts nlu_fallback first with its threshold as confidence: when the next
    intent is at least that sure, the fallback came from two close intents, not from a low score; below
    it, from a two-way split when the two hold TWO_WAY_SHARE between them.
    """
    ranking = message.get("intent_ranking") or []
    if len(ranking) < 3 or ranking[0].get("name") != FALLBACK_INTENT:
        return None
    first, second = ranking[1], ranking[2]
    top, next_ = first.get("confidence") or 0, second.get("confidence") or 0
    sure_enough = top >= (ranking[0].get("confidence") or 0)
    split_two_ways = top + next_ >= TWO_WAY_SHARE and 2 * next_ >= top
    if not (sure_enough or split_two_ways):
        return None
    return _meaning(first.get("name"), message), _meaning(second.get("name"), message)


def _meaning(intent: Optional[str], message: Dict[str, Any]) -> str:
    if intent != FAQ_INTENT:
        return intent or ""
    selected = ((message.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("response") or {}
    return selected.get("intent_response_key") or FAQ_INTENT


def written_label(meaning: str, language: str, domain: DomainDict) -> Tuple[Optional[str], bool]:
    """(the meaning's short label, whether it was written for this language); else the Simplified default."""
    variations = (domain.get("responses") or {}).get(_label_response(meaning)) or []
    default = None
    for variation in variations:
        conditions = variation.get("condition") or []
        if not conditions:
            default = default or variation.get("text")
        elif any(c.get("name") == "language" and c.get("value") == language for c in conditions):
            return variation.get("text"), True
    return default, False


def label(meaning: str, language: str, domain: DomainDict) -> Optional[str]:
    return written_label(meaning, language, domain)[0]


def _button(meaning: str, language: str, domain: DomainDict) -> dict:
    text, written = written_label(meaning, language, domain)
    title = text[:1].upper() + text[1:] if language == "en" else text
    # A label written for the language (English, Cantonese) is shown as written, as the NLG does.
    return {"title": title, "payload": _payload(meaning)} if written else button(title, _payload(meaning), language)


def asked_just_before(tracker: Tracker) -> bool:
    """The bot's last words before this turn were the question: do not ask again."""
    seen_latest_user_turn = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_latest_user_turn:
                return False
            seen_latest_user_turn = True
        elif event.get("event") == "bot" and seen_latest_user_turn:
            return (event.get("metadata") or {}).get("utter_action") == QUESTION
    return False


def ask_which_meaning(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> bool:
    """Ask the question if two close meanings both have labels; True when it was asked."""
    meanings = close_meanings(tracker.latest_message or {})
    if not meanings or asked_just_before(tracker):
        return False
    language = language_of(tracker)
    labels = [label(meaning, language, domain) for meaning in meanings]
    if not all(labels):
        return False
    buttons: List[dict] = [_button(meaning, language, domain) for meaning in meanings]
    dispatcher.utter_message(response=QUESTION, first=labels[0], second=labels[1], buttons=buttons)
    return True
