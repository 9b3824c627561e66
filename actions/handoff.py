"""The human lane, feedback, and what to do when the bot does not understand."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import channel_of, consecutive_fallbacks, customer_id_of, language_of, transcript_of
from actions.service.handoff import open_handoff_ticket, record_feedback

# Why the customer is handed over -> what the bot says first.
_HANDOFF_REASONS = {
    "report_claim": "utter_handoff_claim",
    "complaint": "utter_handoff_complaint",
}


class ActionHandoff(Action):
    """One press or one word, from any state: stop any form and open a ticket with the transcript."""

    def name(self) -> Text:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name") or "request_human"
        reason = intent if intent in _HANDOFF_REASONS else "request_human"
        ticket = open_handoff_ticket(interaction_of(tracker), reason, transcript_of(tracker),
                                     summary=tracker.latest_message.get("text") or "")
        if reason in _HANDOFF_REASONS:
            dispatcher.utter_message(response=_HANDOFF_REASONS[reason])
        dispatcher.utter_message(response="utter_handoff", ticket=ticket.reference)
        events: List[EventType] = [SlotSet("pending_request", None)]
        if tracker.active_loop_name:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events


class ActionFeedback(Action):
    def name(self) -> Text:
        return "action_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        record_feedback(tracker.sender_id, tracker.latest_message.get("text") or "", customer_id_of(tracker),
                        channel_of(tracker), language_of(tracker))
        dispatcher.utter_message(response="utter_feedback_thanks")
        return []


class ActionFallback(Action):
    """First miss: ask to rephrase. Second miss in a row: offer a person."""

    def name(self) -> Text:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if consecutive_fallbacks(tracker) >= 2:
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []
