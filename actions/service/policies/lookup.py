"""What a verified customer may read about their policies and premiums."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import List, Optional

from actions.service.core.db import session_scope
from actions.service.core.models import Customer, Policy
from actions.service.core.settings import get_settings
from actions.service.language import localized

_MONTHS_PER_PERIOD = {"annual": 12, "monthly": 1}


def months_per_period(frequency: str) -> int:
    return _MONTHS_PER_PERIOD[frequency]


@dataclass(frozen=True)
class PolicyView:
    number: str
    product_name: str
    product_name_en: str
    status: str
    sum_assured: Decimal
    premium: Decimal
    frequency: str
    next_due_date: date
    cash_value: Decimal
    bank_name: str
    account_last4: str
    days_until_due: int

    @property
    def overdue_days(self) -> int:
        return max(0, -self.days_until_due)

    @property
    def grace_days_left(self) -> int:
        return max(0, get_settings().grace_period_days - self.overdue_days)

    def name(self, language: Optional[str]) -> str:
        return localized(self.product_name, self.product_name_en, language)


def _view(policy: Policy, today: date) -> PolicyView:
    return PolicyView(
        number=policy.number, product_name=policy.product_name, product_name_en=policy.product_name_en,
        status=policy.status, sum_assured=policy.sum_assured, premium=policy.premium,
        frequency=policy.frequency, next_due_date=policy.next_due_date, cash_value=policy.cash_value,
        bank_name=policy.bank_name, account_last4=policy.account_last4,
        days_until_due=(policy.next_due_date - today).days,
    )


def list_policies(customer_id: int, today: Optional[date] = None) -> List[PolicyView]:
    today = today or date.today()
    with session_scope() as session:
        customer = session.get(Customer, customer_id)
        return [_view(p, today) for p in customer.policies] if customer else []


def get_policy(customer_id: int, number: str, today: Optional[date] = None) -> Optional[PolicyView]:
    """One of the customer's own policies; another customer's number finds nothing."""
    return next((p for p in list_policies(customer_id, today) if p.number == number.upper()), None)


def premiums_due(customer_id: int, within_days: int = 60, today: Optional[date] = None) -> List[PolicyView]:
    """Policies whose premium is overdue or falls due within the window, soonest first."""
    due = [p for p in list_policies(customer_id, today) if p.days_until_due <= within_days]
    return sorted(due, key=lambda p: p.next_due_date)
