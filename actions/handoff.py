"""The human lane, and what to do when the bot does not understand."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import consecutive_fallbacks, intent_of, interaction_of, transcript_of
from actions.service.handoff import open_handoff_ticket
from actions.service.interactions import FALLBACK, record_service_event


class ActionHandoff(Action):
    """One press or one word, from any state: stop any form and open a ticket with the transcript."""

    def name(self) -> Text:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        # Why: request_human, or the request that could not be finished here (e.g. a claim with no policy).
        reason = intent_of(tracker) or "request_human"
        ticket = open_handoff_ticket(interaction_of(tracker), reason, transcript_of(tracker),
                                     summary=tracker.latest_message.get("text") or "")
        dispatcher.utter_message(response="utter_handoff", ticket=ticket.reference)
        events: List[EventType] = [SlotSet("pending_request", None)]
        if tracker.active_loop_name:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events


class ActionFallback(Action):
    """First miss: ask to rephrase (or say it is not something we do). Second miss in a row: offer a person."""

    def name(self) -> Text:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        interaction = interaction_of(tracker)
        record_service_event(interaction, FALLBACK, tracker.latest_message.get("text") or "")
        if consecutive_fallbacks(tracker) >= 2:
            dispatcher.utter_message(response="utter_offer_human")
        elif interaction.intent == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []
