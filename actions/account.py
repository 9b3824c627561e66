"""Updating the mobile number, and policy loans."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (button, customer_id_of, interaction_of, is_clear_yes, language_of, service_completed,
                            transcript_of)
from actions.service.customers.accounts import change_phone, phone_in_use
from actions.service.formatting import money
from actions.service.human_lane.handoff import handoff_backend
from actions.service.customers.identity import normalize_phone
from actions.service.policies.loans import LOAN_INTEREST_RATE, REFERRED, apply_for_loan, loanable_policies, max_loan
from actions.service.numbers import parse_amount
from actions.service.core.settings import get_settings
from actions.verified_action import VerifiedAction


class ValidateUpdateContactForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_update_contact_form"

    def validate_new_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> Dict[Text, Any]:
        phone = normalize_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(response="utter_invalid_phone")
            return {"new_phone": None}
        if phone_in_use(phone, customer_id_of(tracker) or 0):
            dispatcher.utter_message(response="utter_phone_taken")
            return {"new_phone": None}
        return {"new_phone": phone}

    def validate_contact_change_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> Dict[Text, Any]:
        if value and not is_clear_yes(tracker):  # the form asks again
            return {"contact_change_confirmed": None}
        return {"contact_change_confirmed": value}


class ActionUpdateContact(VerifiedAction):
    intent = "update_contact"

    def name(self) -> Text:
        return "action_update_contact"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                language: Text) -> List[EventType]:
        phone = tracker.get_slot("new_phone")
        clear = [SlotSet("new_phone", None), SlotSet("contact_change_confirmed", None)]
        if not tracker.get_slot("contact_change_confirmed") or not phone:
            dispatcher.utter_message(response="utter_change_cancelled")
            return clear
        dispatcher.utter_message(response="utter_contact_changed", new_phone=change_phone(customer_id, phone))
        return clear + [service_completed()]


class ActionAskLoanPolicy(Action):
    """Lists the policies with a cash value to borrow against, as buttons."""

    def name(self) -> Text:
        return "action_ask_loan_policy"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = language_of(tracker)
        buttons = [button(f"{p.name(language)} {p.number}", p.number, language)
                   for p in loanable_policies(customer_id_of(tracker) or 0)]
        dispatcher.utter_message(response="utter_ask_which_policies", buttons=buttons)
        return []


def _chosen_loan_policy(tracker: Tracker):
    return next((p for p in loanable_policies(customer_id_of(tracker) or 0)
                 if p.number == tracker.get_slot("loan_policy")), None)


class ActionAskLoanAmount(Action):
    """Asks how much, saying first how much this policy can lend."""

    def name(self) -> Text:
        return "action_ask_loan_amount"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        policy = _chosen_loan_policy(tracker)
        dispatcher.utter_message(response="utter_ask_loan_amount", loan_max=money(max_loan(policy)) if policy else "")
        return []


class ValidatePolicyLoanForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_policy_loan_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        return domain_slots if loanable_policies(customer_id_of(tracker) or 0) else []

    async def extract_loan_policy(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        # With one loanable policy there is nothing to ask.
        policies = loanable_policies(customer_id_of(tracker) or 0)
        if len(policies) == 1 and not tracker.get_slot("loan_policy"):
            return {"loan_policy": policies[0].number}
        return {}

    def validate_loan_policy(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "").upper()
        policies = loanable_policies(customer_id_of(tracker) or 0)
        chosen = next((p for p in policies if p.number in text), None)
        if chosen is None:
            dispatcher.utter_message(response="utter_invalid_payment_choice")
            return {"loan_policy": None}
        return {"loan_policy": chosen.number}

    def validate_loan_amount(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        amount = parse_amount(str(value or ""))
        policy = _chosen_loan_policy(tracker)
        if amount is None or amount <= 0 or policy is None:
            dispatcher.utter_message(response="utter_invalid_loan_amount")
            return {"loan_amount": None}
        if amount > max_loan(policy):
            dispatcher.utter_message(response="utter_loan_too_much", loan_max=money(max_loan(policy)))
            return {"loan_amount": None}
        return {"loan_amount": str(amount)}


class ActionApplyLoan(VerifiedAction):
    intent = "policy_loan"

    def name(self) -> Text:
        return "action_apply_loan"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                language: Text) -> List[EventType]:
        clear = [SlotSet("loan_policy", None), SlotSet("loan_amount", None)]
        policy, amount = tracker.get_slot("loan_policy"), parse_amount(tracker.get_slot("loan_amount") or "")
        if not policy or amount is None:
            dispatcher.utter_message(response="utter_no_loan_policy")
            return clear
        decision = apply_for_loan(customer_id, policy, amount)
        if decision.status == REFERRED:
            ticket = handoff_backend().open(
                interaction_of(tracker), "policy_loan_over_threshold", transcript_of(tracker),
                summary=f"policy loan {decision.reference}: {policy} {money(amount)}",
            )
            dispatcher.utter_message(response="utter_loan_to_human",
                                     threshold=money(get_settings().loan_human_threshold))
            dispatcher.utter_message(response="utter_handoff", ticket=ticket.reference)
            return clear
        dispatcher.utter_message(response="utter_loan_submitted", reference=decision.reference,
                                 amount=money(amount), rate=f"{LOAN_INTEREST_RATE * 100:.0f}%")
        return clear + [service_completed()]
