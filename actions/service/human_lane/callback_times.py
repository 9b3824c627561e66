"""The call-back times a customer can pick when no person can answer now, as UTC moments.

Choices are named, not typed: big buttons ("tomorrow morning") are easier for old customers than
a time to type, and a named choice cannot be misread. Each is the start of a block in the
service time zone; the agent calls within that block.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import List, Optional, Tuple
from zoneinfo import ZoneInfo

from actions.service.formatting import SERVICE_TIME_ZONE

SOON, TODAY_EVENING, TOMORROW_MORNING, TOMORROW_AFTERNOON = "soon", "today_evening", "tomorrow_am", "tomorrow_pm"
CHOICES = (SOON, TODAY_EVENING, TOMORROW_MORNING, TOMORROW_AFTERNOON)
SOON_WITHIN = timedelta(hours=1)
_BLOCK_START = {TODAY_EVENING: (0, time(18, 0)), TOMORROW_MORNING: (1, time(9, 30)),
                TOMORROW_AFTERNOON: (1, time(14, 30))}


def callback_due_at(choice: str, now: Optional[datetime] = None, time_zone: str = SERVICE_TIME_ZONE) -> Optional[datetime]:
    """The naive-UTC moment a call-back choice means; None for an unknown choice or a time already past."""
    now = now or datetime.utcnow()
    if choice == SOON:
        return now + SOON_WITHIN
    if choice not in _BLOCK_START:
        return None
    days, start = _BLOCK_START[choice]
    local_now = now.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(time_zone))
    local = datetime.combine(local_now.date() + timedelta(days=days), start, tzinfo=ZoneInfo(time_zone))
    due = local.astimezone(timezone.utc).replace(tzinfo=None)
    return due if due > now else None


_TITLES = {
    SOON: {"zh-Hans": "一小时内", "en": "Within an hour"},
    TODAY_EVENING: {"zh-Hans": "今天傍晚", "en": "This evening"},
    TOMORROW_MORNING: {"zh-Hans": "明天上午", "en": "Tomorrow morning"},
    TOMORROW_AFTERNOON: {"zh-Hans": "明天下午", "en": "Tomorrow afternoon"},
}
CALLBACK_PAYLOAD = '/inform{{"callback_time":"{choice}"}}'


def callback_options(language: str, service_open_now: bool) -> List[Tuple[str, str]]:
    """(title, payload) of each call-back time still possible; Chinese titles in Simplified (the
    caller writes them in the customer's script)."""
    titles_language = "en" if language == "en" else "zh-Hans"
    return [(_TITLES[choice][titles_language], CALLBACK_PAYLOAD.format(choice=choice))
            for choice in offered_choices(service_open_now)]


def is_callback_choice(text: str) -> bool:
    """A press of a call-back time button."""
    return (text or "").strip().startswith(CALLBACK_PAYLOAD.split("{{")[0] + '{"callback_time"')


def offered_choices(service_open_now: bool, now: Optional[datetime] = None,
                    time_zone: str = SERVICE_TIME_ZONE) -> List[str]:
    """What to offer: "within an hour" only while the service is open (just busy), never a past block."""
    choices = [SOON] if service_open_now else []
    return choices + [c for c in CHOICES[1:] if callback_due_at(c, now, time_zone) is not None]
