"""Base for every action that shows or changes a customer's policy data."""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import customer_id_of, language_of


class VerifiedAction(Action, metaclass=ABCMeta):
    """Refuses to run for an unverified conversation and starts the identity check instead.

    Rules already route unverified customers to the identity form; this check is the second
    lock on the door, so a mispredicted turn can never leak policy data.
    """

    intent: Text = ""

    @abstractmethod
    def name(self) -> Text: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        customer_id = customer_id_of(tracker)
        if customer_id is None:
            dispatcher.utter_message(response="utter_need_verification")
            return [SlotSet("pending_request", self.intent), FollowupAction("verify_identity_form")]
        return self.respond(dispatcher, tracker, customer_id, language_of(tracker))

    @abstractmethod
    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                language: Text) -> List[EventType]:
        """Answer for the verified customer."""
