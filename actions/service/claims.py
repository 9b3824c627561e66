"""Claim progress for a customer's own claims."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import List, Optional

from actions.service.db import session_scope
from actions.service.models import Claim, Policy

# The steps every claim goes through, in order.
CLAIM_STEPS = ("received", "documents_checked", "under_review", "approved", "paid")


@dataclass(frozen=True)
class ClaimView:
    reference: str
    policy_number: str
    event_type: str
    event_date: date
    status: str
    amount: Optional[Decimal]

    @property
    def next_step(self) -> Optional[str]:
        if self.status not in CLAIM_STEPS or self.status == CLAIM_STEPS[-1]:
            return None
        return CLAIM_STEPS[CLAIM_STEPS.index(self.status) + 1]


def list_claims(customer_id: int) -> List[ClaimView]:
    with session_scope() as session:
        rows = (session.query(Claim).join(Policy).filter(Policy.customer_id == customer_id)
                .order_by(Claim.created_at.desc()).all())
        return [ClaimView(c.reference, c.policy.number, c.event_type, c.event_date, c.status, c.amount)
                for c in rows]
