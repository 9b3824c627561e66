"""Premium reminders in conversation: set them up, change lead days and channels, turn them off;
and show the reminders waiting as web chat notices."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of, document_attachment, language_of
from actions.policies import say_next_due
from actions.service.formatting import long_date
from actions.service.customers.channel_links import linked_addresses
from actions.service.policies.documents import calendar_link
from actions.service.customers.channel_links import customer_for_address
from actions.service.reminders.notices import take_unshown_notices
from actions.service.policies.lookup import premiums_due
from actions.service.reminders.preferences import (
    PHONE, TELEGRAM, WEB, ReminderPreferences, parse_reminder_request, update_preferences,
)
from actions.service.reminders.due import STANDARD_BEFORE_DAYS
from actions.verified_action import VerifiedAction

logger = logging.getLogger(__name__)

INTENT = "set_reminder"
REMINDER_WINDOW_DAYS = 31  # the first reminder goes out 30 days ahead: what a waiting notice can be about
# Notices are reminders for people who did not get a push: shown in the web chat, not on Telegram
# (which already carried the same message) or the phone.
WEB_CHAT_CHANNELS = ("rest", "socketio", "")
_CHANNEL_WORDS = {TELEGRAM: ("Telegram", "Telegram"), WEB: ("网页聊天消息", "web chat message"),
                  PHONE: ("电话", "phone call")}


def reminder_request_message(tracker: Tracker) -> Dict[Text, Any]:
    """The customer's latest 'remind me' turn: after an identity check it is no longer the latest turn."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and (event.get("parse_data") or {}).get("intent", {}).get("name") == INTENT:
            return {"text": event.get("text") or "", "entities": event["parse_data"].get("entities") or []}
    latest = tracker.latest_message or {}
    return {"text": latest.get("text") or "", "entities": latest.get("entities") or []}


def _join(words: List[str], english: bool) -> str:
    if len(words) < 2:
        return "".join(words)
    return (", ".join(words[:-1]) + " and " + words[-1]) if english else ("、".join(words[:-1]) + "和" + words[-1])


def _channels_used(customer_id: int, preferences: ReminderPreferences, is_senior: bool) -> List[str]:
    """Mirrors reminders.delivery._targets: what the customer will actually get."""
    used = []
    if preferences.allows(TELEGRAM) and linked_addresses(customer_id, TELEGRAM):
        used.append(TELEGRAM)
    used.append(WEB)
    if (is_senior and preferences.allows(PHONE)) or PHONE in preferences.channels:
        used.append(PHONE)
    return used


def _is_senior(tracker: Tracker) -> bool:
    return bool(tracker.get_slot("is_senior"))


class ActionSetReminder(VerifiedAction):
    """Turns reminders on (with the calendar file), adds lead days, picks channels, or turns them off."""

    intent = INTENT

    def name(self) -> Text:
        return "action_set_reminder"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                language: Text) -> List[EventType]:
        message = reminder_request_message(tracker)
        request = parse_reminder_request(message["text"], message["entities"])
        if request.opt_out:
            update_preferences(customer_id, opted_out=True)
            dispatcher.utter_message(response="utter_reminders_off")
            return []
        changes: Dict[str, Any] = {"opted_out": False}
        if request.lead_days is not None:
            changes["lead_days"] = request.lead_days
        if request.channels:
            changes["channels"] = request.channels
        preferences = update_preferences(customer_id, **changes)
        english = language == "en"
        days = sorted(set(STANDARD_BEFORE_DAYS) | ({preferences.lead_days} if preferences.lead_days else set()),
                      reverse=True)
        used = _channels_used(customer_id, preferences, _is_senior(tracker))
        dispatcher.utter_message(
            response="utter_reminder_plan",
            days=_join([str(d) for d in days], english),
            channels=_join([_CHANNEL_WORDS[c][1 if english else 0] for c in used], english),
        )
        say_next_due(dispatcher, customer_id, language)  # the date the first reminder is about
        if TELEGRAM in request.channels and TELEGRAM not in used:
            dispatcher.utter_message(response="utter_reminder_telegram_not_linked")
        due = premiums_due(customer_id, within_days=400)
        if due:
            url = calendar_link(customer_id, [p.number for p in due], language)
            dispatcher.utter_message(response="utter_calendar_link", url=url, **document_attachment(tracker, url))
        if not request.changes_anything:
            dispatcher.utter_message(response="utter_reminder_options")
        return []


def show_waiting_notices(dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]) -> None:
    """Show the reminders waiting for this customer, once, when they come to the web chat."""
    if customer_id is None or channel_of(tracker) not in WEB_CHAT_CHANNELS:
        return
    try:
        waiting = take_unshown_notices(customer_id)
    except Exception:  # a notice is a courtesy: it must never break the identity check or a new session
        logger.exception("could not read the notices of customer %s", customer_id)
        return
    if not waiting:
        return
    # The stored notice is the reminder as pushed elsewhere (every policy, links, how to stop): in a
    # chat the customer gets one short sentence in the chat's language and a button instead.
    due = premiums_due(customer_id, within_days=REMINDER_WINDOW_DAYS)
    if due:
        language = language_of(tracker)
        dispatcher.utter_message(response="utter_reminder_waiting", count=len(due),
                                 due_date=long_date(due[0].next_due_date, language))


def show_notices_of_linked_sender(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """At session start: a web chat already linked to a verified customer sees their reminders."""
    channel = channel_of(tracker)
    if channel not in WEB_CHAT_CHANNELS or not channel:
        return
    try:
        customer_id = customer_for_address(channel, tracker.sender_id)
    except Exception:
        logger.exception("could not look up the customer of a %s sender", channel)
        return
    show_waiting_notices(dispatcher, tracker, customer_id)
