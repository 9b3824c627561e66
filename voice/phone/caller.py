"""Who is calling: the caller's number -> the customer it belongs to, before any identity check.

Caller ID only *prefills* the phone number of the identity check (the caller still gives the
last 4 ID digits) and chooses the greeting: the customer's language and, for a senior, the human
lane first. Nothing about the customer is said to the caller on the strength of caller ID alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from actions.service.customers.channel_links import customer_for_address
from actions.service.customers.identity import is_senior, normalize_phone
from actions.service.customers.profiles import profile_by_id, profile_by_phone
from actions.service.language import customer_language, speaks_cantonese

PHONE_CHANNEL = "phone"  # the channel name caller numbers are linked under (channel_links)


@dataclass(frozen=True)
class CallerProfile:
    customer_id: int
    phone: str  # the customer's registered number, which the identity check expects
    language: str
    dialect: str
    senior: bool

    @property
    def speaks_cantonese(self) -> bool:
        return speaks_cantonese(self.language, self.dialect)

    @property
    def bot_language(self) -> str:
        """The bot's language slot for this customer (zh-Hant Cantonese speakers hear yue)."""
        return customer_language(self.language, self.dialect, spoken=True)


def caller_profile(number: str, today: Optional[date] = None) -> Optional[CallerProfile]:
    """The customer the calling number belongs to (their own phone or a linked one), or None."""
    phone = normalize_phone(number or "")
    if phone is None:
        return None
    today = today or date.today()
    linked = customer_for_address(PHONE_CHANNEL, phone)
    customer = profile_by_id(linked) if linked else profile_by_phone(phone)
    if customer is None:
        return None
    return CallerProfile(
        customer_id=customer.customer_id, phone=customer.phone, language=customer.language or "zh-Hans",
        dialect=customer.dialect, senior=is_senior(customer.birth_date, today),
    )
