"""Complaints: taken in three short questions (fewer when the first message said it), status on request."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import interaction_of, language_of, service_completed, wants_to_stop
from actions.service.claims.complaints import (
    RESOLVED, RESPONDED, ComplaintStatus, asks_for_status, complaints_of, file_complaint, read_category,
    says_what_happened, sounds_angry,
)
from actions.service.formatting import date_and_time, long_date
from actions.vocabulary import word

FORM_SLOTS = ("complaint_category", "complaint_description", "complaint_outcome")
NO_PARTICULAR_OUTCOME = "none"


def _utter_status(dispatcher: CollectingDispatcher, status: ComplaintStatus, language: str) -> None:
    if status.status == RESOLVED:
        due = word("result", language) + status.resolution
    elif status.status == RESPONDED:
        due = word("resolve_by", language) + long_date(status.resolution_due, language)
    else:
        due = word("reply_by", language) + date_and_time(status.first_response_due, language)
    dispatcher.utter_message(response="utter_complaint_status", reference=status.reference,
                             category=word(status.category, language),
                             created=long_date(status.created_at.date(), language),
                             status=word(status.status, language), due=due)


class ActionStartComplaint(Action):
    """Status if that is what they ask; otherwise a person offered at once to the angry, then the form."""

    def name(self) -> Text:
        return "action_start_complaint"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text, language = tracker.latest_message.get("text") or "", language_of(tracker)
        if asks_for_status(text):
            interaction = interaction_of(tracker)
            found = complaints_of(interaction.sender_id, interaction.customer_id)
            for status in found:
                _utter_status(dispatcher, status, language)
            if not found:
                dispatcher.utter_message(response="utter_no_complaints")
            return []
        if sounds_angry(text):
            dispatcher.utter_message(response="utter_complaint_angry")
        events: List[EventType] = [SlotSet(slot, None) for slot in FORM_SLOTS]
        category = read_category(text)
        if category:
            events.append(SlotSet("complaint_category", category))
        if says_what_happened(text):
            events.append(SlotSet("complaint_description", text[:1000]))
        return events + [FollowupAction("complaint_form")]


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_complaint_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        return [] if wants_to_stop(tracker) else domain_slots

    def validate_complaint_category(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        category = read_category(str(value or ""))
        if category is None:
            dispatcher.utter_message(response="utter_claim_choose_button")
        return {"complaint_category": category}

    def validate_complaint_description(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "").strip()
        if len(text) < 2 or text.startswith("/"):
            dispatcher.utter_message(response="utter_claim_too_short")
            return {"complaint_description": None}
        return {"complaint_description": text[:1000]}

    def validate_complaint_outcome(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "").strip()
        if NO_PARTICULAR_OUTCOME in text and text.startswith("/"):
            return {"complaint_outcome": NO_PARTICULAR_OUTCOME}
        return {"complaint_outcome": text[:500] or NO_PARTICULAR_OUTCOME}


class ActionFileComplaint(Action):
    def name(self) -> Text:
        return "action_file_complaint"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = language_of(tracker)
        outcome = tracker.get_slot("complaint_outcome")
        clear = [SlotSet(slot, None) for slot in FORM_SLOTS]
        if not tracker.get_slot("complaint_description") or not outcome:  # given up half way
            dispatcher.utter_message(response="utter_complaint_cancelled")
            return clear
        status = file_complaint(interaction_of(tracker, "complaint"), tracker.get_slot("complaint_category") or "other",
                                tracker.get_slot("complaint_description") or "",
                                "" if outcome == NO_PARTICULAR_OUTCOME else outcome or "")
        dispatcher.utter_message(response="utter_complaint_filed", reference=status.reference,
                                 department=word(f"dept_{status.department}", language),
                                 first_response=date_and_time(status.first_response_due, language),
                                 resolution=long_date(status.resolution_due.date(), language))
        return clear + [service_completed()]
