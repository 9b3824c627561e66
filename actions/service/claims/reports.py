"""Claims: reported once on any channel, followed step by step by everyone entitled to see them.

Duplicate rule: one claim per (insured person, event type, event date). A second report of the same
event, by the same customer on another channel or by a registered family member, gets the existing
reference and its progress; nothing new is created. Place and description are not compared: two people
describe the same hospital stay differently, and a different day or kind of event is a new claim.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from actions.service.core.db import session_scope
from actions.service.core.interactions import CLAIM_REPORT, Interaction, record_service_event
from actions.service.core.models import (
    CallbackTask, Claim, ClaimReport, ClaimStatusChange, Customer, FamilyLink, Policy,
)
from actions.service.core.references import new_reference

EVENT_TYPES = ("hospital", "accident", "critical_illness", "death")
# The steps every claim goes through, in order; a claim may be declined instead of approved.
CLAIM_STEPS = ("received", "documents_checked", "under_review", "approved", "paid")
DECLINED = "declined"
# Small medical claims are paid within one working day once documents are complete.
FAST_LANE_LIMIT = Decimal(5000)
FAST_LANE_EVENTS = ("hospital", "accident")
CALLBACK_WITHIN = timedelta(minutes=10)
# Which of the insured's policies a claim is filed against, best first.
_POLICY_PREFERENCE: Dict[str, Tuple[str, ...]] = {
    "critical_illness": ("critical_illness", "whole_life", "term_life"),
    "death": ("whole_life", "term_life", "critical_illness"),
    "hospital": ("critical_illness", "whole_life", "term_life"),
    "accident": ("whole_life", "term_life", "critical_illness"),
}


class ClaimError(ValueError):
    """A report the service cannot take (the reason is a key the bot turns into words)."""


@dataclass(frozen=True)
class InsuredPerson:
    customer_id: int
    name: str
    name_en: str
    relation: str  # "self" or how they are related to the reporter (mother, daughter, ...)


@dataclass(frozen=True)
class ClaimDetails:
    insured_customer_id: int
    event_type: str
    event_date: date
    place: str
    description: str
    contact_phone: str
    claimed_amount: Optional[Decimal] = None


@dataclass(frozen=True)
class ClaimReceipt:
    reference: str
    status: str
    duplicate: bool
    fast_lane: bool
    callback_due: Optional[datetime]


@dataclass(frozen=True)
class ClaimStep:
    status: str
    on: Optional[date]


@dataclass(frozen=True)
class ClaimView:
    reference: str
    policy_number: str
    insured_name: str
    insured_name_en: str
    event_type: str
    event_date: date
    status: str
    amount: Optional[Decimal]
    timeline: Tuple[ClaimStep, ...] = ()

    @property
    def next_step(self) -> Optional[str]:
        """The step that comes next, or None when the claim is paid or declined."""
        if self.status not in CLAIM_STEPS or self.status == CLAIM_STEPS[-1]:
            return None
        return CLAIM_STEPS[CLAIM_STEPS.index(self.status) + 1]


def insured_people(customer_id: int) -> List[InsuredPerson]:
    """Whom the customer may report for: themselves first, then family registered on their policies."""
    with session_scope() as session:
        me = session.get(Customer, customer_id)
        if me is None:
            return []
        people = [InsuredPerson(me.id, me.name, me.name_en, "self")]
        links = (session.query(FamilyLink, Customer).join(Customer, Customer.id == FamilyLink.relative_id)
                 .filter(FamilyLink.customer_id == customer_id).order_by(FamilyLink.id).all())
        people += [InsuredPerson(c.id, c.name, c.name_en, link.relation) for link, c in links]
        return people


def is_fast_lane(event_type: str, claimed_amount: Optional[Decimal]) -> bool:
    return event_type in FAST_LANE_EVENTS and claimed_amount is not None and claimed_amount <= FAST_LANE_LIMIT


def report_claim(interaction: Interaction, details: ClaimDetails, now: Optional[datetime] = None) -> ClaimReceipt:
    """Store a new claim, or return the existing one when the same event was reported before."""
    now = now or datetime.utcnow()
    if interaction.customer_id is None:
        raise ClaimError("not_verified")
    if details.insured_customer_id not in {p.customer_id for p in insured_people(interaction.customer_id)}:
        raise ClaimError("not_your_family")
    if details.event_type not in EVENT_TYPES:
        raise ClaimError("unknown_event_type")
    if details.event_date > now.date():
        raise ClaimError("future_date")
    existing = _existing_claim(details)
    if existing is None:
        try:
            return _create_claim(interaction, details, now)
        except IntegrityError:  # the same event reported at the same moment elsewhere: that one won
            existing = _existing_claim(details)
            if existing is None:
                raise
    return _record_duplicate(interaction, existing)


def _existing_claim(details: ClaimDetails) -> Optional[Tuple[int, str, str]]:
    with session_scope() as session:
        insured = func.coalesce(Claim.insured_customer_id, Policy.customer_id)
        claim = (session.query(Claim).join(Policy)
                 .filter(insured == details.insured_customer_id, Claim.event_type == details.event_type,
                         Claim.event_date == details.event_date)
                 .order_by(Claim.id).first())
        return (claim.id, claim.reference, claim.status) if claim else None


def _create_claim(interaction: Interaction, details: ClaimDetails, now: datetime) -> ClaimReceipt:
    callback_due = now + CALLBACK_WITHIN
    with session_scope() as session:
        policy = _policy_for(session, details.insured_customer_id, details.event_type)
        if policy is None:
            raise ClaimError("no_policy")
        claim = Claim(
            reference=new_reference(session, Claim, "CL", now), policy_id=policy.id,
            insured_customer_id=details.insured_customer_id, event_type=details.event_type,
            event_date=details.event_date, place=details.place[:200], description=details.description,
            contact_phone=details.contact_phone, claimed_amount=details.claimed_amount, status=CLAIM_STEPS[0],
            created_at=now, updated_at=now,
        )
        session.add(claim)
        session.flush()
        session.add(ClaimStatusChange(claim_id=claim.id, status=CLAIM_STEPS[0], changed_by="bot",
                                      changed_at=now))
        session.add(ClaimReport(claim_id=claim.id, duplicate=False, created_at=now, **interaction.columns()))
        session.add(CallbackTask(customer_id=interaction.customer_id, phone=details.contact_phone,
                                 reason="claim_report", subject=claim.reference, due_at=callback_due,
                                 created_at=now))
        reference = claim.reference
    record_service_event(interaction, CLAIM_REPORT, reference)
    return ClaimReceipt(reference, CLAIM_STEPS[0], False, is_fast_lane(details.event_type, details.claimed_amount),
                        callback_due)


def _record_duplicate(interaction: Interaction, existing: Tuple[int, str, str]) -> ClaimReceipt:
    claim_id, reference, status = existing
    with session_scope() as session:
        session.add(ClaimReport(claim_id=claim_id, duplicate=True, **interaction.columns()))
    record_service_event(interaction, CLAIM_REPORT, f"duplicate of {reference}")
    return ClaimReceipt(reference, status, True, False, None)


def _policy_for(session, insured_customer_id: int, event_type: str) -> Optional[Policy]:
    policies = session.query(Policy).filter_by(customer_id=insured_customer_id).order_by(Policy.number).all()
    preference = _POLICY_PREFERENCE.get(event_type, ())
    ranked = sorted(policies, key=lambda p: preference.index(p.product) if p.product in preference else 99)
    return ranked[0] if ranked else None



def list_claims(customer_id: int) -> List[ClaimView]:
    """The claims the customer may follow: on their own policies, with them insured, or on registered family."""
    people = [p.customer_id for p in insured_people(customer_id)] or [customer_id]
    with session_scope() as session:
        insured = func.coalesce(Claim.insured_customer_id, Policy.customer_id)
        rows = (session.query(Claim).join(Policy)
                .filter((Policy.customer_id == customer_id) | insured.in_(people))
                .order_by(Claim.created_at.desc(), Claim.id.desc()).all())
        return [_view(session, claim) for claim in rows]


def _view(session, claim: Claim) -> ClaimView:
    insured = session.get(Customer, claim.insured_customer_id or claim.policy.customer_id)
    reached = {change.status: change.changed_at.date() for change in claim.history}
    if claim.status == DECLINED:
        steps = [s for s in CLAIM_STEPS if s in reached and s not in ("approved", "paid")] + [DECLINED]
    else:
        steps = list(CLAIM_STEPS)
    timeline = tuple(ClaimStep(step, reached.get(step)) for step in steps)
    return ClaimView(claim.reference, claim.policy.number, insured.name, insured.name_en, claim.event_type,
                     claim.event_date, claim.status, claim.amount, timeline)


def set_claim_status(reference: str, status: str, amount: Optional[Decimal] = None, changed_by: str = "staff",
                     note: str = "", now: Optional[datetime] = None) -> ClaimView:
    """A staff decision: move the claim to `status` (never backwards), with the payout amount when known."""
    now = now or datetime.utcnow()
    if status not in CLAIM_STEPS + (DECLINED,):
        raise ClaimError("unknown_status")
    with session_scope() as session:
        claim = session.query(Claim).filter_by(reference=reference).first()
        if claim is None:
            raise ClaimError("unknown_claim")
        if claim.status == DECLINED or (claim.status in CLAIM_STEPS and status in CLAIM_STEPS
                                        and CLAIM_STEPS.index(status) < CLAIM_STEPS.index(claim.status)):
            raise ClaimError("status_goes_backwards")
        claim.status, claim.updated_at = status, now
        if amount is not None:
            claim.amount = amount
        session.add(ClaimStatusChange(claim_id=claim.id, status=status, changed_by=changed_by, note=note[:300],
                                      changed_at=now))
        session.flush()
        session.refresh(claim)
        return _view(session, claim)


def open_callbacks() -> Sequence[CallbackTask]:
    """Call-back tasks for staff, the most urgent first."""
    with session_scope() as session:
        return session.query(CallbackTask).filter_by(status="open").order_by(CallbackTask.due_at).all()
