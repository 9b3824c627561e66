"""Leases: one holder at a time for a job that every server could run (the queue-place notifier).

A holder renews its lease before it runs out; if it dies, another takes over once it has expired.
Both steps are one conditional UPDATE (or the first INSERT), so two servers asking at the same time
never both hold it.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from actions.service.core.db import session_scope
from actions.service.core.models import Lease


def holder_name() -> str:
    """A name no other process has: host, process id and a random part (a pid is reused after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:120]


def hold_lease(name: str, holder: str, seconds: float, now: Optional[datetime] = None) -> bool:
    """Take or renew the lease `name` for `seconds`; False while someone else holds it."""
    now = now or datetime.utcnow()
    until = now + timedelta(seconds=seconds)
    with session_scope() as session:
        renewed = session.execute(
            update(Lease).where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
            .values(holder=holder, expires_at=until).execution_options(synchronize_session=False))
        if renewed.rowcount == 1:
            return True
    try:
        with session_scope() as session:
            session.add(Lease(name=name, holder=holder, expires_at=until))
    except IntegrityError:  # it exists and is someone else's
        return False
    return True


def release_lease(name: str, holder: str) -> None:
    """Give the lease up at once (a clean stop), so another holder need not wait for it to expire."""
    with session_scope() as session:
        session.execute(update(Lease).where(Lease.name == name, Lease.holder == holder)
                        .values(expires_at=datetime(1970, 1, 1)).execution_options(synchronize_session=False))
