"""When did it happen? Dates as old customers say them: 昨天, 上周三, 三天前, 12月1号, "last Tuesday".

dateparser was tried first: it misses 上周三, 三天前 and 12月1号, and it upgrades regex and pytz past
the versions Rasa 3.6 pins. So Chinese is read here with cn2an for the numerals, and English with
python-dateutil for absolute dates ("Nov 20", "1 December") plus the relative words below.
An event date is in the past: a day-and-month without a year is the latest one not after today.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Callable, List, Optional, Tuple

import cn2an
from dateutil import parser as dateutil_parser
from dateutil.relativedelta import relativedelta

from actions.service.language import to_simplified

_CHINESE_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
                     "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_ENGLISH_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_ENGLISH_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a few": 3}
_WEEK = r"(?:周|星期|礼拜|禮拜|拜)"


def _days_ago(days: int) -> Callable[[date], date]:
    return lambda today: today - timedelta(days=days)


# Words that name a day outright, longest first so that 大前天 wins over 前天.
_DAY_WORDS: List[Tuple[str, Callable[[date], date]]] = [
    ("大前天", _days_ago(3)), ("大前日", _days_ago(3)),
    ("前天", _days_ago(2)), ("前日", _days_ago(2)),
    ("昨天", _days_ago(1)), ("昨日", _days_ago(1)), ("琴日", _days_ago(1)), ("寻日", _days_ago(1)),
    ("今天", _days_ago(0)), ("今日", _days_ago(0)),
    ("day before yesterday", _days_ago(2)), ("yesterday", _days_ago(1)), ("today", _days_ago(0)),
]


def parse_event_date(text: str, today: date) -> Optional[date]:
    """The date the text names, or None. Not clamped: a date after today is returned for the caller to refuse."""
    if not text or not text.strip():
        return None
    simplified = to_simplified(text.strip()).lower()
    for word, resolve in _DAY_WORDS:
        if word in simplified:
            return resolve(today)
    for reader in (_chinese_weekday, _chinese_relative, _chinese_calendar, _english_relative, _iso_or_english):
        found = reader(simplified, today)
        if found is not None:
            return found
    return None


def _latest_weekday(weekday: int, not_after: date) -> date:
    return not_after - timedelta(days=(not_after.weekday() - weekday) % 7)


def _chinese_weekday(text: str, today: date) -> Optional[date]:
    match = re.search(rf"(上上|上|这|這|本)?个?{_WEEK}([一二三四五六日天1-7])", text)
    if not match:
        return None
    weekday = _CHINESE_WEEKDAYS[match.group(2)]
    this_monday = today - timedelta(days=today.weekday())
    if match.group(1) in ("上", "上上"):
        weeks_back = 2 if match.group(1) == "上上" else 1
        return this_monday - timedelta(weeks=weeks_back) + timedelta(days=weekday)
    return _latest_weekday(weekday, today)


def _arabic(text: str) -> str:
    """三天前 -> 3天前, 十二月一号 -> 12月1号 (cn2an leaves words that are not numbers alone)."""
    try:
        return cn2an.transform(text, "cn2an")
    except (ValueError, KeyError):
        return text


def _chinese_relative(text: str, today: date) -> Optional[date]:
    text = _arabic(text).replace("两", "2")
    match = re.search(r"(\d+)\s*(天|日|个?星期|个?礼拜|周|个月)\s*(?:之|以)?前", text)
    if not match:
        return None
    count, unit = int(match.group(1)), match.group(2)
    if unit in ("天", "日"):
        return today - timedelta(days=count)
    if unit.endswith("个月"):
        return today - relativedelta(months=count)
    return today - timedelta(weeks=count)


def _chinese_calendar(text: str, today: date) -> Optional[date]:
    text = _arabic(text)
    full = re.search(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?", text)
    if full:
        return _safe_date(int(full.group(1)), int(full.group(2)), int(full.group(3)))
    last_month = re.search(r"上个?月\s*(\d{1,2})\s*[日号]", text)
    if last_month:
        first_of_last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        return _safe_date(first_of_last_month.year, first_of_last_month.month, int(last_month.group(1)))
    month_day = re.search(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?", text)
    if month_day:
        return _latest_month_day(int(month_day.group(1)), int(month_day.group(2)), today)
    day_only = re.search(r"(?:这个月|本月)?\s*(\d{1,2})\s*[号日]", text)
    if day_only:
        day = int(day_only.group(1))
        candidate = _safe_date(today.year, today.month, day)
        if candidate is None or candidate > today:
            previous = today.replace(day=1) - timedelta(days=1)
            candidate = _safe_date(previous.year, previous.month, day)
        return candidate
    return None


def _english_relative(text: str, today: date) -> Optional[date]:
    numbers = "|".join(sorted((re.escape(n) for n in _ENGLISH_NUMBERS), key=len, reverse=True))
    match = re.search(rf"\b(\d+|{numbers})\s+(day|week|month)s?\s+ago\b", text)
    if match:
        count = int(match.group(1)) if match.group(1).isdigit() else _ENGLISH_NUMBERS[match.group(1)]
        unit = match.group(2)
        if unit == "day":
            return today - timedelta(days=count)
        if unit == "week":
            return today - timedelta(weeks=count)
        return today - relativedelta(months=count)
    match = re.search(r"\b(last|this|on)?\s*(" + "|".join(_ENGLISH_WEEKDAYS) + r")\b", text)
    if match:
        weekday = _ENGLISH_WEEKDAYS.index(match.group(2))
        if match.group(1) == "last":  # "last Tuesday": the latest Tuesday before today
            return _latest_weekday(weekday, today - timedelta(days=1))
        return _latest_weekday(weekday, today)
    if re.search(r"\blast week\b", text):
        return today - timedelta(weeks=1)
    return None


def _iso_or_english(text: str, today: date) -> Optional[date]:
    if not re.search(r"\d", text):
        return None
    has_year = re.search(r"\b\d{4}\b", text) is not None
    try:
        default = datetime.combine(today.replace(day=1), datetime.min.time())
        parsed = dateutil_parser.parse(text, fuzzy=True, default=default).date()
    except (ValueError, OverflowError):
        return None
    if not has_year and parsed > today:
        return _latest_month_day(parsed.month, parsed.day, today)
    return parsed


def _latest_month_day(month: int, day: int, today: date) -> Optional[date]:
    candidate = _safe_date(today.year, month, day)
    if candidate is not None and candidate > today:
        candidate = _safe_date(today.year - 1, month, day)
    return candidate


def _safe_date(year: int, month: int, day: int) -> Optional[date]:
    try:
        return date(year, month, day)
    except ValueError:
        return None
