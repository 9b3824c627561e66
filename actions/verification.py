"""Identity check by phone + last 4 ID digits; afterwards the customer's request continues."""
from __future__ import annotations

from typing import Any, Dict, List, Text, Type

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.claims import ActionClaimStatus
from actions.common import IDENTITY_PROOF_SLOT, channel_of, language_of, proof_scope_of
from actions.payments import ActionRequestInvoice
from actions.policies import ActionQueryPolicy, ActionQueryPremium
from actions.service.customers.channel_links import link_channel
from actions.service.formatting import clock_time
from actions.service.customers.identity import LOCKED, VERIFIED, normalize_id_last4, normalize_phone, verify_identity
from actions.service.customers.identity_proof import sign_identity
from actions.reminders import ActionSetReminder, show_waiting_notices
from actions.verified_action import VerifiedAction

# Requests that continue in a form once the customer is verified.
FORM_FOR_REQUEST = {
    "pay_premium": "payment_form",
    "change_payment_account": "change_account_form",
    "update_contact": "update_contact_form",
    "policy_loan": "policy_loan_form",
    "report_claim": "report_claim_form",
}
# Requests answered at once once the customer is verified (a new VerifiedAction goes here or above;
# tests/actions/test_actions.py checks that none is forgotten).
RESUMABLE: Dict[Text, Type[VerifiedAction]] = {cls.intent: cls for cls in (
    ActionQueryPolicy, ActionQueryPremium, ActionClaimStatus, ActionRequestInvoice, ActionSetReminder,
)}


def phone_proven_by_channel(tracker: Tracker, phone: Any) -> bool:
    """The phone came from the customer's own Telegram contact (bot/channels/telegram.py marks it; only
    that channel can, REST clients cannot name their channel): the channel itself proves the number."""
    for event in reversed(tracker.events):
        if (event.get("event") == "user" and event.get("input_channel") == "telegram"
                and ((event.get("metadata") or {}).get("telegram") or {}).get("contact_verified")):
            return bool(phone) and normalize_phone(event.get("text") or "") == phone
    return False


class ActionRememberRequest(Action):
    """Before the identity check, remember what the customer asked for, to do it right after."""

    def name(self) -> Text:
        return "action_remember_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_need_verification")
        return [SlotSet("pending_request", tracker.latest_message.get("intent", {}).get("name"))]


class ValidateVerifyIdentityForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_verify_identity_form"

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> Dict[Text, Any]:
        phone = normalize_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(response="utter_invalid_phone")
        return {"phone": phone}

    def validate_id_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> Dict[Text, Any]:
        last4 = normalize_id_last4(str(value or ""))
        if last4 is None:
            dispatcher.utter_message(response="utter_invalid_id_last4")
        return {"id_last4": last4}


class ActionVerifyIdentity(Action):
    def name(self) -> Text:
        return "action_verify_identity"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = language_of(tracker)
        phone, last4 = tracker.get_slot("phone"), tracker.get_slot("id_last4")
        # The ID digits never stay in the conversation state.
        events: List[EventType] = [SlotSet("id_last4", None)]
        if not phone or not last4:
            return events + [SlotSet("phone", None)]
        result = verify_identity(phone, last4, tracker.sender_id, phone_proven=phone_proven_by_channel(tracker, phone))
        if result.status == LOCKED:
            locked = "utter_verification_locked_phone" if result.locked_by == "phone" else "utter_verification_locked"
            dispatcher.utter_message(response=locked, locked_until=clock_time(result.locked_until))
            return events + [SlotSet("phone", None), SlotSet("pending_request", None)]
        if result.status != VERIFIED:
            dispatcher.utter_message(response="utter_verification_failed", attempts_left=result.attempts_left)
            return events + [SlotSet("phone", None), FollowupAction("verify_identity_form")]

        name = result.customer_name_en if language == "en" else result.customer_name
        events += [SlotSet("verified", True), SlotSet("customer_id", result.customer_id),
                   SlotSet(IDENTITY_PROOF_SLOT, sign_identity(result.customer_id, proof_scope_of(tracker))),
                   SlotSet("customer_name", name), SlotSet("is_senior", result.is_senior),
                   SlotSet("pending_request", None)]
        if channel_of(tracker) == "telegram":  # the chat now reaches this customer (reminders, agent replies)
            link_channel(result.customer_id, "telegram", tracker.sender_id)
        dispatcher.utter_message(response="utter_verified", customer_name=name)
        if result.is_senior:
            dispatcher.utter_message(response="utter_senior_human_first")
        show_waiting_notices(dispatcher, tracker, result.customer_id)  # premium reminders waiting for them
        return events + self._continue(tracker.get_slot("pending_request"), dispatcher, tracker,
                                       result.customer_id, language)

    @staticmethod
    def _continue(request: Any, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                  language: Text) -> List[EventType]:
        """Do what the customer asked for before the check, so they never ask twice."""
        if request in FORM_FOR_REQUEST:
            return [FollowupAction(FORM_FOR_REQUEST[request])]
        if request in RESUMABLE:
            return RESUMABLE[request]().respond(dispatcher, tracker, customer_id, language)
        return []
