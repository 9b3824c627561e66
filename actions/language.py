"""The language slot: set on every user turn, kept across sessions."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.reminders import show_notices_of_linked_sender
from actions.service.language import language_slot_update


class ActionDetectLanguage(Action):
    """Custom slot mapping of the language slot, for a Rasa started without bot.serve.

    bot.serve answers this mapping inside Rasa (bot/language_slot.py) with the same function, so a
    turn makes no round trip for it; `rasa shell` or `rasa test` still reach this action.
    """

    def name(self) -> Text:
        return "action_detect_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = language_slot_update(tracker.latest_message.get("text") or "", tracker.get_slot("language"))
        return [SlotSet("language", language)] if language is not None else []


class ActionSessionStart(Action):
    """A new session forgets the identity check but keeps the customer's language."""

    def name(self) -> Text:
        return "action_session_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        language = tracker.get_slot("language")
        if language:
            events.append(SlotSet("language", language))
        show_notices_of_linked_sender(dispatcher, tracker)  # premium reminders waiting in the web chat
        events.append(ActionExecuted("action_listen"))
        return events
