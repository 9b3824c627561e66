"""The language slot: set on every user turn, kept across sessions."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.reminders import show_notices_of_linked_sender
from actions.service.language import language_for_turn

EXTERNAL_MESSAGE_PREFIX = "EXTERNAL: "  # rasa.shared.constants, not importable from rasa-sdk


class ActionDetectLanguage(Action):
    """Custom slot mapping run by action_extract_slots after every user message."""

    def name(self) -> Text:
        return "action_detect_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        # A button payload, or Rasa's "EXTERNAL: <intent>" for trigger_intent (pushes, reminders),
        # says nothing about the customer's language.
        if text.startswith("/") or text.startswith(EXTERNAL_MESSAGE_PREFIX):
            return []
        current = tracker.get_slot("language")
        language = language_for_turn(text, current)
        return [SlotSet("language", language)] if language != current else []


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
