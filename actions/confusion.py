"""Confusion met with help: "看不明白", "字看不清", "I can't read this", "聽唔明", "点了没反应".

What "didn't work" means depends on what the bot just sent: after a pay link it is "has my money
arrived?" (answered from the order), after an e-invoice link "how do I open it?". Otherwise the
customer is offered what helps on their screen (bigger text, read aloud), hearing it again, or a person.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import channel_of, customer_id_of, language_of
from actions.service.formatting import money
from actions.service.policies.payments import PAID, customer_payment_order

AGAIN = "again"
WEB_CHANNELS = ("socketio",)  # the page with 特大字 and 🔊 (bot/pages/web)
PAY_LINK, INVOICE_LINK = "utter_payment_order", "utter_invoice_link"  # what the bot just sent
OWN_RESPONSES = ("utter_confusion_",)  # the help itself is not what the customer wants said again


def _previous_bot_turn(tracker: Tracker) -> List[Dict[str, Any]]:
    """The bot's messages of the turn before this one (what the customer did not understand)."""
    turns: List[List[Dict[str, Any]]] = [[]]
    for event in reversed(tracker.events[:-1] if tracker.events else []):
        kind = event.get("event")
        if kind == "bot":
            utter = (event.get("metadata") or {}).get("utter_action") or ""
            if not utter.startswith(OWN_RESPONSES):
                turns[-1].insert(0, event)
        elif kind == "user":
            if turns[-1]:
                break
            turns.append([])
    return turns[-1]


def _help_choice(tracker: Tracker) -> Optional[str]:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "help_choice":
            return str(entity.get("value"))
    return None


class ActionHelpWhenConfused(Action):
    def name(self) -> Text:
        return "action_help_when_confused"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = language_of(tracker)
        previous = _previous_bot_turn(tracker)
        said = {(e.get("metadata") or {}).get("utter_action") for e in previous}
        in_form = bool((tracker.active_loop or {}).get("name"))
        if _help_choice(tracker) == AGAIN:
            dispatcher.utter_message(response="utter_confusion_again")
            if not in_form:  # a form asks its own question again after this action
                for event in previous:
                    data = event.get("data") or {}
                    dispatcher.utter_message(text=event.get("text"), buttons=data.get("buttons") or [],
                                             language=language)
            return []
        customer_id = customer_id_of(tracker)
        if PAY_LINK in said and customer_id is not None:
            order = customer_payment_order(customer_id, tracker.get_slot("payment_order") or "")
            if order is not None and order.status == PAID:
                dispatcher.utter_message(response="utter_confusion_paid", amount=money(order.amount))
            else:
                dispatcher.utter_message(response="utter_confusion_not_paid_yet")
            return []
        if INVOICE_LINK in said:
            dispatcher.utter_message(response="utter_confusion_invoice")
            return []
        web = channel_of(tracker) in WEB_CHANNELS
        dispatcher.utter_message(response="utter_confusion_help_web" if web else "utter_confusion_help")
        return []
