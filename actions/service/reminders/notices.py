"""Notices waiting in the web chat (premium reminders) for the customer's next visit. Plain Python, no Rasa."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from actions.service.core.db import session_scope
from actions.service.core.models import CustomerNotice

# An old customer reads a few messages, not a backlog: the newest ones, oldest first.
MAX_NOTICES_SHOWN = 3


def take_unshown_notices(customer_id: int, now: Optional[datetime] = None,
                         limit: int = MAX_NOTICES_SHOWN) -> List[str]:
    """The texts of the newest notices not shown yet, oldest first; every unshown notice is marked shown
    (older ones are superseded by the newer reminder of the same premium)."""
    now = now or datetime.utcnow()
    with session_scope() as session:
        unshown = (session.query(CustomerNotice).filter_by(customer_id=customer_id, shown_at=None)
                   .order_by(CustomerNotice.id.desc()).with_for_update().all())
        for notice in unshown:
            notice.shown_at = now
        return [n.text for n in reversed(unshown[:limit])]


def unshown_notice_count(customer_id: int) -> int:
    with session_scope() as session:
        return session.query(CustomerNotice).filter_by(customer_id=customer_id, shown_at=None).count()
