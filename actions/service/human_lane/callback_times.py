"""The call-back times a customer can pick when no person can answer now, as UTC moments.

Choices are named, not typed: big buttons ("tomorrow morning") are easier for old customers than
a time to type, and a named choice cannot be misread. Each is the start of a block in the
service time zone; the agent calls within that block.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import List, Optional
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


def offered_choices(service_open_now: bool, now: Optional[datetime] = None,
                    time_zone: str = SERVICE_TIME_ZONE) -> List[str]:
    """What to offer: "within an hour" only while the service is open (just busy), never a past block."""
    choices = [SOON] if service_open_now else []
    return choices + [c for c in CHOICES[1:] if callback_due_at(c, now, time_zone) is not None]
