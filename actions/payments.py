"""Paying premiums, e-invoices, calendar reminders, changing the debit account."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (button, channel_of, customer_id_of, document_attachment, is_clear_yes,
                            language_of, service_completed)
from actions.service.customers.accounts import change_debit_account, normalize_card_number
from actions.service.policies.documents import invoice_link
from actions.service.formatting import long_date, mask_account, money
from actions.service.language import localized
from actions.service.policies.payments import (
    PAID, customer_payment_order, ALL_POLICIES, create_payment_order, parse_payment_method, parse_policy_choice, recent_payments,
)
from actions.service.policies.lookup import premiums_due
from actions.policies import say_next_due
from actions.verified_action import VerifiedAction
from actions.vocabulary import word


def _entity_values(tracker: Tracker, entity: str) -> List[str]:
    return [str(e.get("value")) for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity]


class ActionAskPaymentPolicies(Action):
    """Asks which due policies to pay, one big button each and one for all together."""

    def name(self) -> Text:
        return "action_ask_payment_policies"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        language = language_of(tracker)
        due = premiums_due(customer_id_of(tracker) or 0)
        buttons = []
        if len(due) > 1:
            total = sum((p.premium for p in due), Decimal(0))
            buttons.append(button(f"{word('pay_all', language)} {money(total)}",
                                  f'/inform{{"policy_number":"{ALL_POLICIES}"}}', language))
        for policy in due:
            buttons.append(button(f"{policy.name(language)} {money(policy.premium)}",
                                  f'/inform{{"policy_number":"{policy.number}"}}', language))
        dispatcher.utter_message(response="utter_ask_which_policies", buttons=buttons)
        return []


class ValidatePaymentForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_payment_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        # Nothing due: the form ends at once and the submit action says so.
        return domain_slots if premiums_due(customer_id_of(tracker) or 0) else []

    def validate_payment_policies(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        due = [p.number for p in premiums_due(customer_id_of(tracker) or 0)]
        chosen = parse_policy_choice(str(value or ""), _entity_values(tracker, "policy_number"), due)
        if not chosen:
            dispatcher.utter_message(response="utter_invalid_payment_choice")
            return {"payment_policies": None}
        return {"payment_policies": ",".join(chosen)}

    def validate_payment_method(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        method = parse_payment_method(str(value or ""), _entity_values(tracker, "payment_method"))
        if method is None:
            dispatcher.utter_message(response="utter_invalid_payment_choice")
        return {"payment_method": method}


class ActionCreatePayment(VerifiedAction):
    intent = "pay_premium"

    def name(self) -> Text:
        return "action_create_payment"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                language: Text) -> List[EventType]:
        chosen = tracker.get_slot("payment_policies")
        method = tracker.get_slot("payment_method")
        clear = [SlotSet("payment_policies", None), SlotSet("payment_method", None)]
        if not chosen or not method:
            dispatcher.utter_message(response="utter_no_premium_due")
            say_next_due(dispatcher, customer_id, language)  # nothing due now, but when is it?
            return clear
        order = create_payment_order(customer_id, chosen.split(","), method, sender_id=tracker.sender_id,
                                     channel=channel_of(tracker))
        dispatcher.utter_message(response="utter_payment_order", reference=order.reference,
                                 amount=money(order.amount), method=word(order.method, language),
                                 pay_url=order.pay_url)
        # Not finished yet: the rating waits until the money arrives (action_payment_settled).
        return clear + [SlotSet("payment_order", order.reference)]


class ActionPaymentSettled(Action):
    """The order of this chat settled (the Rasa server's EXTERNAL_payment_settled): say so, and when
    the next premium is due; the service is done, so the rating may follow. Not a customer request,
    so not a VerifiedAction (nothing to resume after a check): a chat no longer verified hears nothing."""

    def name(self) -> Text:
        return "action_payment_settled"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        customer_id, language = customer_id_of(tracker), language_of(tracker)
        if customer_id is None:
            return []
        order = customer_payment_order(customer_id, tracker.get_slot("payment_order") or "")
        if order is None or order.status != PAID:
            return []
        dispatcher.utter_message(response="utter_payment_settled", amount=money(order.amount))
        say_next_due(dispatcher, customer_id, language)
        return [service_completed()]


class ActionRequestInvoice(VerifiedAction):
    intent = "request_invoice"

    def name(self) -> Text:
        return "action_request_invoice"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                language: Text) -> List[EventType]:
        payments = [p for p in recent_payments(customer_id, limit=3) if p.invoice_number]
        if not payments:
            dispatcher.utter_message(response="utter_no_invoice")
            return []
        latest_day = payments[0].paid_on
        for payment in (p for p in payments if p.paid_on == latest_day):
            url = invoice_link(customer_id, payment.id, language)
            dispatcher.utter_message(
                response="utter_invoice_link", product=localized(payment.product_name, payment.product_name_en,
                                                                 language), number=payment.policy_number, amount=money(payment.amount),
                paid_on=long_date(payment.paid_on, language), url=url, **document_attachment(tracker, url),
            )
        return []


class ValidateChangeAccountForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_change_account_form"

    def validate_new_account(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        card = normalize_card_number(str(value or ""))
        if card is None:
            dispatcher.utter_message(response="utter_invalid_account")
            return {"new_account": None}
        # Only the masked number stays in the conversation; the bank gets the whole one.
        return {"new_account": mask_account(card)}

    def validate_account_change_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> Dict[Text, Any]:
        if value and not is_clear_yes(tracker):  # the form asks again
            return {"account_change_confirmed": None}
        return {"account_change_confirmed": value}


class ActionChangeAccount(VerifiedAction):
    intent = "change_payment_account"

    def name(self) -> Text:
        return "action_change_account"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                language: Text) -> List[EventType]:
        masked = tracker.get_slot("new_account")
        clear = [SlotSet("new_account", None), SlotSet("account_change_confirmed", None)]
        if not tracker.get_slot("account_change_confirmed") or not masked:
            dispatcher.utter_message(response="utter_change_cancelled")
            return clear
        change_debit_account(customer_id, masked)
        dispatcher.utter_message(response="utter_account_changed", new_account=masked)
        return clear + [service_completed()]
