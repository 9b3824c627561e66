"""Read-only answers: policies and premiums due."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.service.formatting import long_date, money
from actions.service.policies.lookup import list_policies, premiums_due
from actions.verified_action import VerifiedAction
from actions.vocabulary import word

NEXT_DUE_HORIZON_DAYS = 400  # the longest period is a year: the next due date is always within it


class ActionQueryPolicy(VerifiedAction):
    intent = "query_policy"

    def name(self) -> Text:
        return "action_query_policy"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                language: Text) -> List[EventType]:
        policies = list_policies(customer_id)
        if not policies:
            dispatcher.utter_message(response="utter_no_policies")
            return []
        dispatcher.utter_message(response="utter_policy_count", count=len(policies))
        for policy in policies:
            dispatcher.utter_message(
                response="utter_policy_item", product=policy.name(language), number=policy.number,
                status=word(policy.status, language), sum_assured=money(policy.sum_assured),
                premium=money(policy.premium), frequency=word(policy.frequency, language),
                due_date=long_date(policy.next_due_date, language),
            )
        return []


class ActionQueryPremium(VerifiedAction):
    intent = "query_premium"

    def name(self) -> Text:
        return "action_query_premium"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int,
                language: Text) -> List[EventType]:
        due = premiums_due(customer_id)
        if not due:
            dispatcher.utter_message(response="utter_no_premium_due")
            say_next_due(dispatcher, customer_id, language)  # "nothing due" alone leaves them guessing
            return []
        for policy in due:
            if policy.overdue_days:
                grace_end = policy.next_due_date + timedelta(days=policy.overdue_days + policy.grace_days_left)
                dispatcher.utter_message(
                    response="utter_premium_overdue", product=policy.name(language), number=policy.number,
                    premium=money(policy.premium), days=policy.overdue_days,
                    grace_end=long_date(grace_end, language), grace_left=policy.grace_days_left,
                )
            else:
                dispatcher.utter_message(
                    response="utter_premium_due", product=policy.name(language), number=policy.number,
                    premium=money(policy.premium), due_date=long_date(policy.next_due_date, language),
                    days=policy.days_until_due,
                )
        total = sum((p.premium for p in due), Decimal(0))
        dispatcher.utter_message(response="utter_premium_total", total=money(total))
        return []


def say_next_due(dispatcher: CollectingDispatcher, customer_id: int, language: Text) -> None:
    """The next premium due, with its date, whenever it is (nothing when the customer has no policy)."""
    upcoming = premiums_due(customer_id, within_days=NEXT_DUE_HORIZON_DAYS)
    if upcoming:
        policy = upcoming[0]
        dispatcher.utter_message(response="utter_next_due", product=policy.name(language), number=policy.number,
                                 due_date=long_date(policy.next_due_date, language), premium=money(policy.premium))
