"""How each customer wants premium reminders: time zone, quiet hours, channels, opt-out, extra lead days.

Also reads what a customer says about it ("提前三天提醒我", "只用Telegram提醒", "不要再提醒我",
"remind me a week before"). Plain Python, no Rasa.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import List, Optional, Tuple
from zoneinfo import ZoneInfo

import cn2an

from actions.service.core.db import session_scope
from actions.service.core.models import Customer, CustomerPreference

DEFAULT_TIME_ZONE = "Asia/Shanghai"
HONG_KONG_TIME_ZONE = "Asia/Hong_Kong"
HONG_KONG_PREFIX = "852"
# No pushes between 21:00 and 08:00 in the customer's own time zone.
QUIET_FROM_HOUR = 21
QUIET_UNTIL_HOUR = 8

TELEGRAM, WEB, PHONE = "telegram", "web", "phone"
CHANNELS = (TELEGRAM, WEB, PHONE)
# Customer-set lead days beyond this are what the 30-day reminder already does.
MAX_LEAD_DAYS = 30


@dataclass(frozen=True)
class ReminderPreferences:
    customer_id: int
    time_zone: str = DEFAULT_TIME_ZONE
    opted_out: bool = False
    channels: Tuple[str, ...] = ()  # empty: every channel the customer can be reached on
    lead_days: Optional[int] = None

    def allows(self, channel: str) -> bool:
        return not self.channels or channel in self.channels


def default_time_zone(phone: str) -> str:
    """Hong Kong numbers live in Hong Kong time; everyone else in China Standard Time."""
    return HONG_KONG_TIME_ZONE if (phone or "").startswith(HONG_KONG_PREFIX) else DEFAULT_TIME_ZONE


def _view(customer: Customer, row: Optional[CustomerPreference]) -> ReminderPreferences:
    if row is None:
        return ReminderPreferences(customer.id, default_time_zone(customer.phone))
    return ReminderPreferences(
        customer_id=customer.id,
        time_zone=row.time_zone or default_time_zone(customer.phone),
        opted_out=bool(row.reminders_opted_out),
        channels=tuple(c for c in (row.channels or "").split(",") if c in CHANNELS),
        lead_days=row.lead_days,
    )


def preferences_in(session, customer_id: int) -> ReminderPreferences:
    """The customer's preferences inside an open session."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return ReminderPreferences(customer_id)
    return _view(customer, session.get(CustomerPreference, customer_id))


def get_preferences(customer_id: int) -> ReminderPreferences:
    with session_scope() as session:
        return preferences_in(session, customer_id)


_UNSET = object()


def update_preferences(customer_id: int, *, opted_out=_UNSET, channels=_UNSET, lead_days=_UNSET,
                       time_zone=_UNSET) -> ReminderPreferences:
    """Change only what is given; returns the preferences as they are now."""
    with session_scope() as session:
        row = session.get(CustomerPreference, customer_id)
        if row is None:
            row = CustomerPreference(customer_id=customer_id, reminders_opted_out=False, channels="")
            session.add(row)
        if opted_out is not _UNSET:
            row.reminders_opted_out = bool(opted_out)
        if channels is not _UNSET:
            row.channels = ",".join(c for c in CHANNELS if c in (channels or ()))
        if lead_days is not _UNSET:
            row.lead_days = lead_days
        if time_zone is not _UNSET:
            ZoneInfo(time_zone)  # an unknown zone fails here, not at 3 a.m. in the scheduler
            row.time_zone = time_zone
        row.updated_at = datetime.utcnow()
        session.flush()
        return preferences_in(session, customer_id)


# --- quiet hours ----------------------------------------------------------------------------------


def _aware(moment_utc: datetime) -> datetime:
    return moment_utc.replace(tzinfo=timezone.utc) if moment_utc.tzinfo is None else moment_utc


def is_quiet_time(moment_utc: datetime, time_zone: str) -> bool:
    """True between 21:00 and 08:00 where the customer lives."""
    hour = _aware(moment_utc).astimezone(ZoneInfo(time_zone)).hour
    return hour >= QUIET_FROM_HOUR or hour < QUIET_UNTIL_HOUR


def next_morning(moment_utc: datetime, time_zone: str) -> datetime:
    """The next 08:00 in the customer's time zone, as naive UTC (what the database stores)."""
    local = _aware(moment_utc).astimezone(ZoneInfo(time_zone))
    morning = local.replace(hour=QUIET_UNTIL_HOUR, minute=0, second=0, microsecond=0)
    if local.hour >= QUIET_UNTIL_HOUR:
        morning += timedelta(days=1)
    return morning.astimezone(timezone.utc).replace(tzinfo=None)


# --- what the customer says -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderRequest:
    """What a 'remind me' sentence asks to change; None/empty means 'not mentioned'."""

    opt_out: bool = False
    lead_days: Optional[int] = None
    channels: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def changes_anything(self) -> bool:
        return self.opt_out or self.lead_days is not None or bool(self.channels)


_OPT_OUT = re.compile(
    # "不要再提醒我", "别再给我发交费提醒了", "取消交费提醒" — but not "不要忘了提醒我".
    r"(不要|不用|别|別|唔好|唔使|毋须|无须|無須|停止|取消|关掉|關掉|关闭|關閉)[^，。,.!?！？忘漏記记]{0,8}?"
    r"(提醒|提我|通知|send)"
    r"|(提醒|通知)(我)?(就)?(不用|不要)了"
    r"|\bstop\b.*\b(remind|reminder|message|notif)|\b(don'?t|do not|no more)\b.*\b(remind|reminder)"
    r"|\bunsubscribe\b|\bopt[ -]?out\b|\bturn off\b.*\breminder",
    re.I,
)
_CHANNEL_WORDS = {
    TELEGRAM: re.compile(r"telegram|\btg\b|电报|電報", re.I),
    PHONE: re.compile(r"打电话|打電話|电话|電話|打俾我|打畀我|\bcall\b|\bphone\b|\bring\b", re.I),
    WEB: re.compile(r"网页|網頁|网站|網站|网上|網上|\bweb\b|website|聊天窗口|\bapp\b", re.I),
}
_NUMBER = r"(\d+|[一二两兩三四五六七八九十半]+|a|an|one|two|three|four|five|six|seven|ten|fourteen)"
_LEAD = re.compile(
    _NUMBER + r"\s*(个|個|只)?\s*(天|日|day|days|星期|礼拜|禮拜|周|週|week|weeks|月|month|months)", re.I)
_LEAD_CONTEXT = re.compile(r"提前|提早|之前|以前|前|早|before|ahead|early|earlier|in advance", re.I)
_ENGLISH_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                    "seven": 7, "ten": 10, "fourteen": 14}
_UNIT_DAYS = {"天": 1, "日": 1, "day": 1, "days": 1, "星期": 7, "礼拜": 7, "禮拜": 7, "周": 7, "週": 7,
              "week": 7, "weeks": 7, "月": 30, "month": 30, "months": 30}


def _number(word: str) -> Optional[float]:
    word = word.lower()
    if word.isdigit():
        return float(word)
    if word in _ENGLISH_NUMBERS:
        return float(_ENGLISH_NUMBERS[word])
    if word == "半":
        return 0.5
    try:
        return float(cn2an.cn2an(word.replace("兩", "两"), "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def parse_lead_days(text: str) -> Optional[int]:
    """'提前三天' -> 3, 'a week before' -> 7, '提早兩個禮拜' -> 14; None if no lead time is named."""
    normalized = unicodedata.normalize("NFKC", text or "")
    if not _LEAD_CONTEXT.search(normalized):
        return None
    for match in _LEAD.finditer(normalized):
        count = _number(match.group(1))
        if count is None:
            continue
        days = int(round(count * _UNIT_DAYS[match.group(3).lower()]))
        if 1 <= days <= MAX_LEAD_DAYS:
            return days
    return None


def parse_channels(text: str) -> Tuple[str, ...]:
    """The channels the sentence names ('只用Telegram提醒' -> ('telegram',))."""
    return tuple(channel for channel in CHANNELS if _CHANNEL_WORDS[channel].search(text or ""))


def parse_reminder_request(text: str, entities: Optional[List[dict]] = None) -> ReminderRequest:
    """What the customer asks for, from button entities first, then from their own words."""
    entities = entities or []
    values = {e.get("entity"): str(e.get("value")) for e in entities if e.get("value") is not None}
    if values.get("reminder_opt") == "out":
        return ReminderRequest(opt_out=True)
    lead = None
    if "reminder_lead_days" in values and values["reminder_lead_days"].isdigit():
        lead = int(values["reminder_lead_days"])
        lead = lead if 1 <= lead <= MAX_LEAD_DAYS else None
    channels: Tuple[str, ...] = tuple(c for c in values.get("reminder_channel", "").split(",") if c in CHANNELS)
    if values:
        return ReminderRequest(lead_days=lead, channels=channels)
    if text and _OPT_OUT.search(text):
        return ReminderRequest(opt_out=True)
    return ReminderRequest(lead_days=parse_lead_days(text), channels=parse_channels(text))
