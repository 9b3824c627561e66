"""Voice of the customer: one short rating after a finished service, and free feedback at any time."""
from __future__ import annotations

import re
from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import interaction_of
from actions.service.human_lane.handoff import record_feedback
from actions.service.numbers import digit_string


def rating_of(tracker: Tracker) -> Optional[int]:
    """1-5 from a rating button (entity `rating`), or a lone digit typed or said ("5", "五分")."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "rating" and str(entity.get("value")).isdigit():
            value = int(entity["value"])
            return value if 1 <= value <= 5 else None
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/"):
        return None
    digits = digit_string(text)
    return int(digits) if re.fullmatch(r"[1-5]", digits) else None


class ActionOfferRating(Action):
    """At most once per conversation, after a finished (not cancelled) service: 1-5, skippable."""

    def name(self) -> Text:
        return "action_offer_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if tracker.get_slot("rating_asked") or not tracker.get_slot("service_completed"):
            return [SlotSet("service_completed", False)]
        dispatcher.utter_message(response="utter_ask_rating")
        return [SlotSet("rating_asked", True), SlotSet("service_completed", False)]


class ActionFeedback(Action):
    """Stores a rating (and thanks for it) or free feedback, masked."""

    def name(self) -> Text:
        return "action_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        rating = rating_of(tracker)
        text = tracker.latest_message.get("text") or ""
        record_feedback(interaction_of(tracker, "give_feedback"), "" if text.startswith("/") else text, rating)
        if rating is not None:
            dispatcher.utter_message(response="utter_rating_thanks" if rating >= 4 else "utter_rating_low")
            return [SlotSet("rating_asked", True)]
        dispatcher.utter_message(response="utter_feedback_thanks")
        return []
