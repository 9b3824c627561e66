"""How to speak to a customer (language, dialect, age), for channels that know only an id or a number.

Nothing here is private policy data: channels use it to choose a greeting, a voice or the human
lane before any identity check (the caller's number only prefills the check, see voice/phone/caller.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from actions.service.core.db import session_scope
from actions.service.core.models import Customer


@dataclass(frozen=True)
class CustomerProfile:
    customer_id: int
    phone: str  # the registered number, which the identity check expects
    language: str  # "" when not recorded
    dialect: str  # "" when not recorded
    birth_date: Optional[date]


def _profile(customer: Optional[Customer]) -> Optional[CustomerProfile]:
    if customer is None:
        return None
    return CustomerProfile(customer_id=customer.id, phone=customer.phone, language=customer.language or "",
                           dialect=customer.dialect or "", birth_date=customer.birth_date)


def profile_by_id(customer_id: int) -> Optional[CustomerProfile]:
    """The customer with this id, or None."""
    with session_scope() as session:
        return _profile(session.get(Customer, int(customer_id)))


def profile_by_phone(phone: str) -> Optional[CustomerProfile]:
    """The customer registered with this (normalized) phone number, or None."""
    with session_scope() as session:
        return _profile(session.query(Customer).filter_by(phone=phone).first())
