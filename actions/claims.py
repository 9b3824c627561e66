"""Claims: the report form (one question at a time, read back, corrected, confirmed) and claim progress."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (button, customer_id_of, interaction_of, is_clear_yes, language_of, service_completed,
                            wants_to_stop)
from actions.service.claims.answers import (
    UNKNOWN, read_amount, read_change_field, read_event_type, read_insured, wants_change,
)
from actions.service.claims.reports import (
    FAST_LANE_EVENTS, ClaimDetails, ClaimError, InsuredPerson, insured_people, list_claims, report_claim,
)
from actions.service.formatting import long_date, mask_phone, money
from actions.service.customers.identity import normalize_phone, phone_of_customer
from actions.service.claims.relative_dates import parse_event_date
from actions.verified_action import VerifiedAction
from actions.vocabulary import word

FORM_SLOTS = ("claim_insured", "claim_event_type", "claim_event_date", "claim_place", "claim_description",
              "claim_amount", "claim_contact_phone", "claim_change_field", "claim_changing", "claim_confirmed")
# The items a customer may change before confirming, in the order they were asked.
CHANGEABLE = ("claim_insured", "claim_event_type", "claim_event_date", "claim_place", "claim_description",
              "claim_amount", "claim_contact_phone")
MIN_TEXT_LENGTH = 2


def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def _insured_label(person: InsuredPerson, language: str) -> str:
    name = person.name_en if language == "en" and person.name_en else person.name
    return word("self", language) if person.relation == "self" else f"{word(person.relation, language)} {name}"


def _chosen_insured(tracker: Tracker) -> Optional[InsuredPerson]:
    people = insured_people(customer_id_of(tracker) or 0)
    chosen = tracker.get_slot("claim_insured")
    return next((p for p in people if str(p.customer_id) == str(chosen)), people[0] if people else None)


def _contact_phone(tracker: Tracker) -> str:
    """The number the customer gave, else the verified customer's own."""
    return tracker.get_slot("claim_contact_phone") or phone_of_customer(customer_id_of(tracker) or 0) or ""


def _report_text(tracker: Tracker) -> str:
    """What the customer said when asking to report (maybe before the identity check): "我妈妈前天住院了"."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and (event.get("parse_data") or {}).get("intent", {}).get("name") == "report_claim":
            return event.get("text") or ""
    return ""


def _starting(tracker: Tracker, slot: str) -> bool:
    """The form is being activated and the slot is still empty: the first message may already answer it."""
    return tracker.get_slot("requested_slot") is None and not tracker.get_slot(slot)


class ValidateReportClaimForm(FormValidationAction):
    """Say it once: what the first message already told (who, what, when) is not asked again."""

    def name(self) -> Text:
        return "validate_report_claim_form"

    async def extract_claim_insured(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        if not _starting(tracker, "claim_insured"):
            return {}
        text = _report_text(tracker)
        person = read_insured(text, insured_people(customer_id_of(tracker) or 0))
        # "help me report" is not "it is for me": only a relative, or an explicit 本人 / myself, counts here.
        if person is None or (person.relation == "self" and not re.search(r"本人|我自己|myself", text, re.I)):
            return {}
        return {"claim_insured": str(person.customer_id)}

    async def extract_claim_event_type(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        if not _starting(tracker, "claim_event_type"):
            return {}
        event_type = read_event_type(_report_text(tracker))
        return {"claim_event_type": event_type} if event_type else {}

    async def extract_claim_event_date(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        if not _starting(tracker, "claim_event_date"):
            return {}
        when = parse_event_date(_report_text(tracker), date.today())
        return {"claim_event_date": when.isoformat()} if when and when <= date.today() else {}

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        customer_id = customer_id_of(tracker)
        # Unverified: the submit action asks for the identity check. Given up: it says nothing was stored.
        if customer_id is None or wants_to_stop(tracker) or tracker.get_slot("claim_confirmed") == "no":
            return []
        changing = tracker.get_slot("claim_change_field")
        wanted = {
            "claim_insured": len(insured_people(customer_id)) > 1,
            "claim_amount": tracker.get_slot("claim_event_type") in FAST_LANE_EVENTS,
            # The account's phone is used unless the customer chose to give another one.
            "claim_contact_phone": changing == "claim_contact_phone",
            "claim_change_field": bool(tracker.get_slot("claim_changing")),
        }
        return [slot for slot in domain_slots if wanted.get(slot, True)]

    def validate_claim_insured(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        people = insured_people(customer_id_of(tracker) or 0)
        if tracker.get_slot("requested_slot") is None:  # set at activation from the first message
            person = next((p for p in people if str(p.customer_id) == str(value)), None)
        else:
            person = read_insured(str(value or ""), people)
        if person is None:
            dispatcher.utter_message(response="utter_claim_choose_button")
            return {"claim_insured": None}
        return {"claim_insured": str(person.customer_id)}

    def validate_claim_event_type(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        event_type = read_event_type(str(value or ""))
        if event_type is None:
            dispatcher.utter_message(response="utter_claim_choose_button")
        elif event_type not in FAST_LANE_EVENTS:
            return {"claim_event_type": event_type, "claim_amount": None}
        return {"claim_event_type": event_type}

    def validate_claim_event_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        today = date.today()
        when = parse_event_date(str(value or ""), today)
        if when is None:
            dispatcher.utter_message(response="utter_claim_date_unclear")
            return {"claim_event_date": None}
        if when > today:
            dispatcher.utter_message(response="utter_claim_date_future")
            return {"claim_event_date": None}
        return {"claim_event_date": when.isoformat()}

    def _free_text(self, slot: str, value: Any, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
        text = str(value or "").strip()
        if len(text) < MIN_TEXT_LENGTH or text.startswith("/"):
            dispatcher.utter_message(response="utter_claim_too_short")
            return {slot: None}
        return {slot: text[:500]}

    def validate_claim_place(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        return self._free_text("claim_place", value, dispatcher)

    def validate_claim_description(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        return self._free_text("claim_description", value, dispatcher)

    def validate_claim_amount(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> Dict[Text, Any]:
        amount = read_amount(str(value or ""))
        if amount is None:
            dispatcher.utter_message(response="utter_ask_claim_amount")
            return {"claim_amount": None}
        return {"claim_amount": str(amount)}

    def validate_claim_contact_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        phone = normalize_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(response="utter_claim_phone_invalid")
            return {"claim_contact_phone": None}
        return {"claim_contact_phone": phone}

    def validate_claim_change_field(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        field = read_change_field(str(value or ""), _changeable(tracker))
        if field is None:
            dispatcher.utter_message(response="utter_claim_choose_button")
            return {"claim_change_field": None}
        # Forget the old answer: the form asks for it again, then reads everything back.
        return {"claim_change_field": field, "claim_changing": False, field: None}

    def validate_claim_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if is_clear_yes(tracker):
            return {"claim_confirmed": "yes"}
        if intent == "deny":
            return {"claim_confirmed": "no"}
        if wants_change(str(value or "")):
            return {"claim_confirmed": None, "claim_changing": True, "claim_change_field": None}
        dispatcher.utter_message(response="utter_claim_choose_button")
        return {"claim_confirmed": None}


def _changeable(tracker: Tracker) -> List[str]:
    fields = list(CHANGEABLE)
    if len(insured_people(customer_id_of(tracker) or 0)) <= 1:
        fields.remove("claim_insured")
    if tracker.get_slot("claim_event_type") not in FAST_LANE_EVENTS:
        fields.remove("claim_amount")
    return fields


class ActionAskClaimInsured(Action):
    """Who is it for: one big button per person registered on the customer's policies."""

    def name(self) -> Text:
        return "action_ask_claim_insured"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = language_of(tracker)
        buttons = [button(_insured_label(p, language), f'/inform{{"claim_insured":"{p.customer_id}"}}', language)
                   for p in insured_people(customer_id_of(tracker) or 0)]
        dispatcher.utter_message(response="utter_ask_claim_insured", buttons=buttons)
        return []


_FIELD_WORDS = {"claim_insured": "field_insured", "claim_event_type": "field_event", "claim_event_date": "field_date",
                "claim_place": "field_place", "claim_description": "field_description",
                "claim_amount": "field_amount", "claim_contact_phone": "field_phone"}


class ActionAskClaimChangeField(Action):
    def name(self) -> Text:
        return "action_ask_claim_change_field"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = language_of(tracker)
        buttons = [button(word(_FIELD_WORDS[field], language), f'/inform{{"claim_change_field":"{field}"}}', language)
                   for field in _changeable(tracker)]
        dispatcher.utter_message(response="utter_ask_claim_change_field", buttons=buttons)
        return []


def _summary(tracker: Tracker) -> Dict[str, str]:
    language = language_of(tracker)
    person = _chosen_insured(tracker)
    when = tracker.get_slot("claim_event_date")
    return {
        "insured": _insured_label(person, language) if person else "",
        "event": word(tracker.get_slot("claim_event_type"), language),
        "event_date": long_date(date.fromisoformat(when), language) if when else "",
        "place": tracker.get_slot("claim_place") or "",
        "description": tracker.get_slot("claim_description") or "",
        "phone": mask_phone(_contact_phone(tracker)),
    }


def bills_said(amount: Any, language: str) -> str:
    """The medical bills as the customer gave them: an amount, or "not known yet" after 不清楚."""
    if amount == UNKNOWN:
        return word("amount_unknown", language)
    try:
        return money(Decimal(str(amount)))
    except ArithmeticError:  # decimal.InvalidOperation: a value no validation produced
        return word("amount_unknown", language)


class ActionAskClaimConfirmed(Action):
    """Reads the whole report back before it is stored, the medical bills too when they were asked."""

    def name(self) -> Text:
        return "action_ask_claim_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        amount = tracker.get_slot("claim_amount")
        if amount is None:  # not asked (no medical bills for this kind of event)
            dispatcher.utter_message(response="utter_ask_claim_confirmed", **_summary(tracker))
        else:
            dispatcher.utter_message(response="utter_ask_claim_confirmed_bills", **_summary(tracker),
                                     amount=bills_said(amount, language_of(tracker)))
        return []


class ActionSubmitClaim(VerifiedAction):
    intent = "report_claim"

    def name(self) -> Text:
        return "action_submit_claim"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                language: Text) -> List[EventType]:
        # Responses are rendered before these events apply, so the checklist still sees the event type.
        clear = [SlotSet(slot, None) for slot in FORM_SLOTS]
        if tracker.get_slot("claim_confirmed") != "yes":
            dispatcher.utter_message(response="utter_claim_cancelled")
            return clear
        amount = tracker.get_slot("claim_amount")
        person = _chosen_insured(tracker)
        details = ClaimDetails(
            insured_customer_id=person.customer_id if person else customer_id,
            event_type=tracker.get_slot("claim_event_type"),
            event_date=date.fromisoformat(tracker.get_slot("claim_event_date")),
            place=tracker.get_slot("claim_place") or "", description=tracker.get_slot("claim_description") or "",
            contact_phone=_contact_phone(tracker),
            claimed_amount=Decimal(amount) if amount and amount != UNKNOWN else None,
        )
        try:
            receipt = report_claim(interaction_of(tracker, self.intent), details)
        except ClaimError:
            dispatcher.utter_message(response="utter_claim_no_policy")
            return clear + [FollowupAction("action_handoff")]
        if receipt.duplicate:
            dispatcher.utter_message(response="utter_claim_duplicate", reference=receipt.reference,
                                     status=word(receipt.status, language))
        else:
            dispatcher.utter_message(response="utter_claim_received", reference=receipt.reference,
                                     phone=mask_phone(details.contact_phone))
            dispatcher.utter_message(response="utter_claim_checklist")  # chosen by claim_event_type
            if receipt.fast_lane:
                dispatcher.utter_message(response="utter_claim_fast_lane")
        return clear + [service_completed()]


class ActionClaimStatus(VerifiedAction):
    """Each claim the customer may follow, with its timeline, payout and next step."""

    intent = "claim_status"

    def name(self) -> Text:
        return "action_claim_status"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                language: Text) -> List[EventType]:
        claims = list_claims(customer_id)
        if not claims:
            dispatcher.utter_message(response="utter_no_claims")
            return []
        for claim in claims:
            timeline = "\n".join(
                f"{'✔' if step.on else '○'} {word(step.status, language)}"
                + (f" {long_date(step.on, language)}" if step.on else "")
                for step in claim.timeline)
            insured = claim.insured_name_en if language == "en" and claim.insured_name_en else claim.insured_name
            dispatcher.utter_message(
                response="utter_claim_item", reference=claim.reference, insured=insured,
                event=word(claim.event_type, language), event_date=long_date(claim.event_date, language),
                timeline=timeline,
                amount=money(claim.amount) if claim.amount is not None else word("not_yet", language),
                next_step=word(claim.next_step or "none", language),
            )
        return []
