"""Policy loans: how much may be borrowed, and who decides (the bot or a person)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import List

from actions.service.core.db import session_scope
from actions.service.core.models import LoanApplication, Policy
from actions.service.policies.lookup import PolicyView, list_policies
from actions.service.core.settings import get_settings

LOAN_INTEREST_RATE = Decimal("0.05")  # yearly; shown to the customer before they borrow
SUBMITTED, REFERRED = "submitted", "referred_to_human"


def max_loan(policy: PolicyView) -> Decimal:
    """The stated share of cash value, rounded down to whole hundreds of yuan."""
    raw = policy.cash_value * Decimal(str(get_settings().loan_ratio))
    return (raw / 100).quantize(Decimal(1), rounding=ROUND_DOWN) * 100


def loanable_policies(customer_id: int) -> List[PolicyView]:
    return [p for p in list_policies(customer_id) if max_loan(p) > 0]


@dataclass(frozen=True)
class LoanDecision:
    reference: str
    amount: Decimal
    status: str  # SUBMITTED: the bot took it; REFERRED: a person continues


def apply_for_loan(customer_id: int, policy_number: str, amount: Decimal) -> LoanDecision:
    """Record the application; above the threshold it is referred to a person, not refused."""
    policy = next((p for p in loanable_policies(customer_id) if p.number == policy_number), None)
    if policy is None:
        raise ValueError("no loanable policy with that number for this customer")
    if not 0 < amount <= max_loan(policy):
        raise ValueError("amount outside what this policy allows")
    status = REFERRED if amount > get_settings().loan_human_threshold else SUBMITTED
    reference = f"LN-{datetime.utcnow():%Y%m%d}-{secrets.token_hex(3).upper()}"
    with session_scope() as session:
        policy_id = session.query(Policy.id).filter_by(number=policy_number).scalar()
        session.add(LoanApplication(reference=reference, policy_id=policy_id, amount=amount, status=status))
    return LoanDecision(reference, amount, status)
