"""How numbers, dates and private data are written for customers (and logs)."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo
from decimal import Decimal
from typing import Optional, Union

ENGLISH = "en"
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def is_english(language: Optional[str]) -> bool:
    return language == ENGLISH


def money(amount: Union[Decimal, int, float], language: Optional[str] = None) -> str:
    """¥6,800 or ¥6,800.50: the yuan sign, thousands separators, cents only when there are some."""
    value = Decimal(amount)
    if value == value.to_integral_value():
        return f"¥{int(value):,}"
    return f"¥{value:,.2f}"


def long_date(day: date, language: Optional[str] = None) -> str:
    """2026年12月4日, or 4 Dec 2026 in English."""
    if is_english(language):
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def mask_phone(phone: str) -> str:
    """138****0001: enough to recognise, not enough to reuse."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 7:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def mask_account(account: str) -> str:
    """****1234 for any card or account number, whatever its length."""
    digits = re.sub(r"\D", "", account or "")
    return f"****{digits[-4:]}" if digits else "****"


# 7+ digits standing alone, optionally grouped by single spaces or dashes (138 0000 0001);
# digits glued to letters or a dash are references (P2019000001, LN-20261123-…) and stay.
_LONG_DIGIT_RUN = re.compile(r"(?<![A-Za-z0-9\-])\d(?:[ \-]?\d){6,}")


_ID_TAIL = re.compile(r"^\s*\d{3}[\dXx]\s*$")  # a message that is only an ID card's last 4 characters


def mask_id_answer(text: str) -> str:
    """'****' for a message that is only the last 4 characters of an ID card (the identity check's answer)."""
    return "****" if _ID_TAIL.match(text or "") else text


# An ID card number (18 characters, the last a digit or X; or the old 15 digits): its last 4 are the
# identity check's secret, so none of it stays.
_ID_NUMBER = re.compile(r"(?<![A-Za-z0-9\-])(?:\d{17}[\dXx]|\d{15})(?![A-Za-z0-9])")
# A bank card number: 12-19 digits, optionally grouped (6222 0212 3456 7894); phone numbers are shorter.
_CARD_NUMBER = re.compile(r"(?<![A-Za-z0-9\-])\d(?:[ \-]?\d){11,18}(?![A-Za-z0-9])")


def mask_digits_in_text(text: str) -> str:
    """Mask phone, card and ID numbers in free text (before logging or storing transcripts)."""
    return _LONG_DIGIT_RUN.sub(lambda m: mask_account(m.group()), _ID_NUMBER.sub("****", text or ""))


def mask_card_and_id_numbers(text: str) -> str:
    """Mask only card numbers (****7894) and ID numbers (****): what the conversation store must never hold.

    Phone numbers stay: forms carry them from one turn to the next (a new contact number, a claim's call-back).
    """
    return _CARD_NUMBER.sub(lambda m: mask_account(m.group()), _ID_NUMBER.sub("****", text or ""))


SERVICE_TIME_ZONE = "Asia/Shanghai"


def clock_time(moment_utc: datetime, time_zone: str = SERVICE_TIME_ZONE) -> str:
    """'14:05' in the customer's time zone, for a naive UTC datetime."""
    return moment_utc.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(time_zone)).strftime("%H:%M")


def date_and_time(moment_utc: datetime, language: Optional[str] = None, time_zone: str = SERVICE_TIME_ZONE) -> str:
    """'2026年11月24日 14:05' (or '24 Nov 2026 14:05') in the customer's time zone, for a naive UTC datetime."""
    local = moment_utc.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(time_zone))
    return f"{long_date(local.date(), language)} {local:%H:%M}"
