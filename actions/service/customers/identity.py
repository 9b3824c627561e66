"""Identity check by phone number + last 4 ID digits, with a lock after repeated failures."""
from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

from actions.service.constants import SENIOR_AGE
from actions.service.core.db import session_scope
from actions.service.core.models import Customer, VerificationFailure
from actions.service.numbers import digit_string
from actions.service.core.settings import get_settings, secret_key

VERIFIED, MISMATCH, LOCKED = "verified", "mismatch", "locked"

_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_HONG_KONG_MOBILE = re.compile(r"^852[4-9]\d{7}$")


def normalize_phone(text: str) -> Optional[str]:
    """A mobile number in canonical form (13800000001, 85291234567), or None if it is not one."""
    digits = digit_string(text)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    elif len(digits) == 8 and digits[0] in "456789":  # Hong Kong number without +852
        digits = "852" + digits
    if _MAINLAND_MOBILE.match(digits) or _HONG_KONG_MOBILE.match(digits):
        return digits
    return None


def normalize_id_last4(text: str) -> Optional[str]:
    """The last 4 characters of a Chinese ID card (4 digits, or 3 digits and X), or None.

    A whole 18-character ID is accepted too; only its last 4 are used.
    """
    written = re.findall(r"(?<![0-9])(?:[0-9]{17}[0-9X]|[0-9]{3}[0-9X])(?![0-9X])", unicodedata.normalize("NFKC", text or "").upper())
    # Digits written as digits win over Chinese numerals in the words around them (后四位是5821).
    chars = written[-1] if len(written) == 1 else digit_string(text, keep_x=True)
    if len(chars) not in (4, 18):
        return None
    last4 = chars[-4:]
    return last4 if re.fullmatch(r"\d{3}[\dX]", last4) else None


def phone_of_customer(customer_id: int) -> Optional[str]:
    """The customer's registered mobile number (for call-backs), or None."""
    with session_scope() as session:
        customer = session.get(Customer, customer_id)
        return customer.phone if customer else None


def hash_id_last4(last4: str) -> str:
    key = secret_key().encode()
    return hmac.new(key, last4.upper().encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class VerificationResult:
    status: str
    customer_id: Optional[int] = None
    customer_name: str = ""
    customer_name_en: str = ""
    is_senior: bool = False
    attempts_left: int = 0
    locked_until: Optional[datetime] = None
    # Which lock holds the chat: "chat" (its own wrong tries) or "phone" (wrong tries on this number
    # from any chats): the customer is told why, not only until when.
    locked_by: str = ""


def age_on(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def is_senior_age(age: Optional[int]) -> bool:
    """SENIOR_AGE or older: the green lane (first in the agents' queue, a person offered first)."""
    return age is not None and age >= SENIOR_AGE


def is_senior(birth_date: Optional[date], today: date) -> bool:
    """Whether someone born on birth_date is a senior on today (an unknown birth date is not)."""
    return birth_date is not None and is_senior_age(age_on(birth_date, today))


def verify_identity(phone: str, id_last4: str, sender_id: str, now: Optional[datetime] = None,
                    phone_proven: bool = False) -> VerificationResult:
    """Check the pair; failures count per chat and per phone, and each locks on its own limit.

    A chat is locked after a few failures; a phone number only after more, from any chats (guessing
    spread over many chats). So a stranger guessing at someone's number locks the stranger's own chat
    first, and the phone's lock does not hold a chat whose channel proves the phone (Telegram's shared
    contact): its owner is never kept out. An unknown phone and a wrong ID look the same to the
    caller, so the check cannot be used to find out who is a customer.
    """
    settings = get_settings()
    now = now or datetime.utcnow()
    sender_key, phone_key = f"sender:{sender_id}", f"phone:{phone}"
    limits = {sender_key: settings.max_verification_failures, phone_key: settings.max_phone_verification_failures}
    holding = [sender_key] if phone_proven else [sender_key, phone_key]  # the locks that apply to this chat
    with session_scope() as session:
        records = {key: session.get(VerificationFailure, key) or VerificationFailure(key=key, failures=0)
                   for key in limits}
        locked = [(records[k].locked_until, k) for k in holding
                  if records[k].locked_until and records[k].locked_until > now]
        if locked:
            until, key = max(locked)
            return VerificationResult(LOCKED, locked_until=until, locked_by=_lock_kind(key))
        customer = session.query(Customer).filter_by(phone=phone).first()
        if customer and hmac.compare_digest(customer.id_last4_hash, hash_id_last4(id_last4)):
            for record in records.values():
                if record.failures or record.locked_until:
                    record.failures, record.locked_until = 0, None
            return VerificationResult(
                VERIFIED, customer.id, customer.name, customer.name_en,
                is_senior=is_senior(customer.birth_date, now.date()),
            )
        until = now + timedelta(minutes=settings.lock_minutes)
        for key, record in records.items():
            record.failures = (record.failures or 0) + 1
            if record.failures >= limits[key]:
                record.failures, record.locked_until = 0, until
            session.merge(record)
        newly_locked = [k for k in holding if records[k].locked_until == until]
        if newly_locked:
            return VerificationResult(LOCKED, locked_until=until, locked_by=_lock_kind(newly_locked[0]))
        return VerificationResult(MISMATCH, attempts_left=min(limits[k] - records[k].failures for k in holding))


def _lock_kind(key: str) -> str:
    return "phone" if key.startswith("phone:") else "chat"
