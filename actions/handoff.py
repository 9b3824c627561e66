"""The human lane, and what to do when the bot does not understand."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import button, consecutive_fallbacks, intent_of, interaction_of, language_of, service_completed, \
    transcript_of
from actions.disambiguation import ask_which_meaning
from actions.service.human_lane.callback_times import callback_due_at, callback_options
from actions.service.formatting import date_and_time
from actions.service.human_lane.handoff import handoff_backend, schedule_callback, service_open
from actions.service.core.interactions import FALLBACK, record_service_event

def callback_buttons(language: str) -> List[dict]:
    """One big button per call-back time still possible, in the customer's language."""
    return [button(title, payload, language) for title, payload in callback_options(language, service_open())]


class ActionHandoff(Action):
    """One press or one word, from any state: stop any form and put the customer in the queue for a person.

    With a person available the bot pauses (Rasa then ignores the conversation; the channels carry
    the customer's words to the agent) and says the place in the queue. Without one it says so at
    once, offers call-back times and stays usable.
    """

    def name(self) -> Text:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        # Why: request_human, or the request that could not be finished here (e.g. a claim with no policy).
        reason = intent_of(tracker) or "request_human"
        ticket = handoff_backend().open(interaction_of(tracker), reason, transcript_of(tracker),
                                        summary=tracker.latest_message.get("text") or "",
                                        caller_phone=tracker.get_slot("phone"))
        events: List[EventType] = [SlotSet("pending_request", None)]
        if tracker.active_loop_name:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        if not ticket.staffed:
            dispatcher.utter_message(response="utter_handoff_unavailable", ticket=ticket.reference,
                                     buttons=callback_buttons(language_of(tracker)))
            return events
        minutes = max(1, round(ticket.estimated_wait_seconds / 60))
        dispatcher.utter_message(response="utter_handoff" if ticket.position <= 1 else "utter_handoff_queued",
                                 ticket=ticket.reference, ahead=ticket.position - 1, minutes=minutes)
        return events + [ConversationPaused()]


class ActionScheduleCallback(Action):
    """The customer picked a call-back time (a button): store it as a task for the service team."""

    def name(self) -> Text:
        return "action_schedule_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        choice = next(tracker.get_latest_entity_values("callback_time"), None)
        due_at = callback_due_at(choice or "")
        if due_at is None:
            dispatcher.utter_message(response="utter_ask_callback_time", buttons=callback_buttons(language_of(tracker)))
            return []
        schedule_callback(interaction_of(tracker, "request_human"), due_at)
        dispatcher.utter_message(response="utter_callback_scheduled",
                                 when=date_and_time(due_at, language_of(tracker)))
        return []


class ActionHumanLeft(Action):
    """The agent resolved the conversation: the bot is back, and the human service gets one rating."""

    def name(self) -> Text:
        return "action_human_left"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_human_left")
        # One rating per human service, even when a self-service flow was rated earlier.
        return [service_completed(), SlotSet("rating_asked", False)]


class ActionFallback(Action):
    """Two close meanings: ask which (never twice in a row). Else the first miss: ask to rephrase (or say it is
    not something we do); the second miss in a row: offer a person."""

    def name(self) -> Text:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        interaction = interaction_of(tracker)
        record_service_event(interaction, FALLBACK, tracker.latest_message.get("text") or "")
        if ask_which_meaning(dispatcher, tracker, domain):
            return []  # two close meanings: the customer picks one with a button
        if consecutive_fallbacks(tracker) >= 2:
            dispatcher.utter_message(response="utter_offer_human")
        elif interaction.intent == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []
