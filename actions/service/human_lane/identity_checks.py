"""An agent checks a customer's identity in the console (issue 15): a customer the bot could not
verify (locked out by wrong guesses, or who never managed the check) is still served.

The agent asks the customer in the chat and types what they answered: the phone number or a policy
number (to find the customer record), the ID card's last 4 characters and the birth date. This
module compares them with the record (the ID digits only as their keyed hash, as the bot's check
does) and never stores or logs the answers: the audit row says who, which ticket and the outcome;
the customer's own chat lines that carried the answers are masked in the ticket once checked.

Wrong answers count per ticket: after `max_agent_identity_checks` failures the ticket takes no more
checks (a person guessing at someone else's record gets no more tries by asking an agent).
"""
from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import List, Optional

from sqlalchemy import update

from actions.service.core.db import session_scope
from actions.service.core.models import AuditEntry, Customer, HandoffMessage, HandoffTicket, Policy, VerificationFailure
from actions.service.core.settings import get_settings
from actions.service.customers.identity import (
    MISMATCH, VERIFIED, hash_id_last4, is_senior, normalize_id_last4, normalize_phone,
)
from actions.service.human_lane.agents import get_agent, record_audit
from actions.service.human_lane.handoff import ACTIVE

# Beyond the bot's own outcomes (VERIFIED, MISMATCH): what only an agent's check can end with.
TOO_MANY, UNREADABLE, NOT_YOURS = "too_many", "unreadable", "not_yours"
AUDIT_ACTION = "identity_check"

_POLICY_NUMBER = re.compile(r"P\d{10}")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号號]?")
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")


@dataclass(frozen=True)
class AgentCheckResult:
    """What the console shows after a check: never the answers themselves."""

    outcome: str
    customer_id: Optional[int] = None
    customer_name: str = ""
    customer_name_en: str = ""
    is_senior: bool = False
    attempts_left: int = 0


def parse_birth_date(text: str) -> Optional[date]:
    """1950-05-12, 1950/5/12, 1950年5月12日 or 19500512 as a date; None if it is not one."""
    written = unicodedata.normalize("NFKC", text or "").strip()
    match = _DATE.search(written) or _COMPACT_DATE.search(written)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _customer_for(session, lookup: str) -> Optional[Customer]:
    """The record a phone number or a policy number names (the policyholder), or None."""
    written = unicodedata.normalize("NFKC", lookup or "").strip().upper()
    number = _POLICY_NUMBER.search(written)
    if number:
        policy = session.query(Policy).filter_by(number=number.group()).first()
        return session.get(Customer, policy.customer_id) if policy else None
    phone = normalize_phone(written)
    return session.query(Customer).filter_by(phone=phone).first() if phone else None


def _readable(lookup: str, id_last4: str, birth_date: str) -> bool:
    """Something that could be a phone or policy number, 4 ID characters and a date: else the agent mistyped."""
    written = unicodedata.normalize("NFKC", lookup or "").upper()
    return ((_POLICY_NUMBER.search(written) is not None or normalize_phone(written) is not None)
            and normalize_id_last4(id_last4 or "") is not None and parse_birth_date(birth_date) is not None)


def _mask_answers(session, ticket_id: int, last4: str, born: Optional[date]) -> None:
    """The customer typed their answers to the agent: mask them in the ticket's stored lines."""
    patterns = [re.compile(rf"(?<![0-9]){re.escape(last4)}(?![0-9X])", re.IGNORECASE)]
    if born is not None:
        patterns.append(re.compile(rf"{born.year}\s*[-/.年]?\s*0?{born.month}\s*[-/.月]?\s*0?{born.day}(?!\d)\s*[日号號]?"))
    rows = session.query(HandoffMessage).filter(HandoffMessage.ticket_id == ticket_id,
                                                HandoffMessage.author == "customer").all()
    for row in rows:
        text = row.text or ""
        for pattern in patterns:
            text = pattern.sub("****", text)
        if text != row.text:
            row.text = text


def check_identity_for_ticket(ticket_id: int, agent_id: int, lookup: str, id_last4: str, birth_date: str,
                              now: Optional[datetime] = None) -> AgentCheckResult:
    """Check the customer's answers against the record `lookup` names; on success the ticket names the
    customer and the agent who verified them. Audited whatever the outcome (no answers in the audit)."""
    now = now or datetime.utcnow()
    agent = get_agent(agent_id)
    limit = get_settings().max_agent_identity_checks
    key = f"ticket:{ticket_id}"
    with session_scope() as session:
        ticket = session.get(HandoffTicket, ticket_id)
        if agent is None or ticket is None or ticket.status != ACTIVE or ticket.agent_id != agent_id:
            return AgentCheckResult(NOT_YOURS)
        record = session.get(VerificationFailure, key) or VerificationFailure(key=key, failures=0)
        failures = record.failures or 0
        if failures >= limit:
            outcome = AgentCheckResult(TOO_MANY)
        elif not _readable(lookup, id_last4, birth_date):
            return AgentCheckResult(UNREADABLE, attempts_left=limit - failures)  # nothing to audit: not a check
        else:
            last4, born = normalize_id_last4(id_last4), parse_birth_date(birth_date)
            customer = _customer_for(session, lookup)
            matches = (customer is not None
                       and hmac.compare_digest(customer.id_last4_hash or "", hash_id_last4(last4))
                       and customer.birth_date == born
                       and ticket.customer_id in (None, customer.id))
            _mask_answers(session, ticket_id, last4, born)
            if matches:
                session.execute(update(HandoffTicket).where(HandoffTicket.id == ticket_id)
                                .values(customer_id=customer.id, verified_by_agent_id=agent_id, verified_at=now,
                                        updated_at=now).execution_options(synchronize_session=False))
                outcome = AgentCheckResult(VERIFIED, customer.id, customer.name or "", customer.name_en or "",
                                           is_senior(customer.birth_date, now.date()), limit - failures)
            else:
                record.failures = failures + 1
                session.merge(record)
                outcome = AgentCheckResult(MISMATCH, attempts_left=max(0, limit - record.failures))
    record_audit(agent_id, AUDIT_ACTION, ticket_id=ticket_id, customer_id=outcome.customer_id,
                 detail=f"outcome={outcome.outcome} attempts_left={outcome.attempts_left}")
    return outcome


def checks_left(ticket_id: int) -> int:
    """How many wrong answers this ticket may still take."""
    with session_scope() as session:
        record = session.get(VerificationFailure, f"ticket:{ticket_id}")
        failures = (record.failures or 0) if record else 0
    return max(0, get_settings().max_agent_identity_checks - failures)


def audit_outcomes(ticket_id: int) -> List[str]:
    """The outcomes of the checks recorded for a ticket, oldest first (what the audit keeps)."""
    with session_scope() as session:
        rows = (session.query(AuditEntry.detail).filter(AuditEntry.ticket_id == ticket_id,
                                                        AuditEntry.action == AUDIT_ACTION)
                .order_by(AuditEntry.id).all())
    return [detail.split()[0].split("=", 1)[1] for (detail,) in rows if detail.startswith("outcome=")]
