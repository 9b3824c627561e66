"""Leases on the real database (SQLite, and PostgreSQL where a server runs): one holder at a time."""
from __future__ import annotations

from datetime import datetime, timedelta

from actions.service.core.leases import hold_lease, release_lease


def test_one_holder_until_it_expires_or_is_released(any_db):
    now = datetime(2026, 1, 1, 9, 0)
    assert hold_lease("job", "server-a", 45, now)
    assert not hold_lease("job", "server-b", 45, now + timedelta(seconds=10))
    assert hold_lease("job", "server-a", 45, now + timedelta(seconds=30))  # renewed
    assert not hold_lease("job", "server-b", 45, now + timedelta(seconds=70))  # still a's (renewed at 30)
    assert hold_lease("job", "server-b", 45, now + timedelta(seconds=80))  # a died: expired at 75
    assert not hold_lease("job", "server-a", 45, now + timedelta(seconds=81))
    release_lease("job", "server-b")
    assert hold_lease("job", "server-a", 45, now + timedelta(seconds=82))
    assert hold_lease("other job", "server-b", 45, now)  # leases are per job
