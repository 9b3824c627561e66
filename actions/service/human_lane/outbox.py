"""The outbox of channels that cannot push (REST, voice messages): what an agent or the bot says to a
customer outside the customer's own turn waits in the database and goes out with their next answer.

In the database, not in one Rasa server's memory: with several servers behind a balancer, the
customer's next turn may land on any of them (issue 14).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import delete

from actions.service.core.db import session_scope
from actions.service.core.models import LaneOutbox

KEEP = 50  # a customer who never comes back does not grow the table without end


def kind_of(message: Dict[str, Any]) -> str:
    """What sort of notice a message is (its metadata's `kind`: the queue's place updates), or ""."""
    metadata = message.get("metadata")
    return str(metadata.get("kind") or "") if isinstance(metadata, dict) else ""


def put(sender_id: str, message: Dict[str, Any], now: Optional[datetime] = None) -> None:
    """Keep one message for the sender's next answer (only their newest KEEP are kept).

    A message of a kind (a place in the queue) replaces the sender's older one of that kind still
    waiting: a customer back after ten minutes hears where they are now, not ten old places.
    """
    kind = kind_of(message)
    with session_scope() as session:
        if kind:
            older = [row_id for row_id, text in session.query(LaneOutbox.id, LaneOutbox.message)
                     .filter(LaneOutbox.sender_id == sender_id).all() if kind_of(json.loads(text)) == kind]
            if older:
                session.execute(delete(LaneOutbox).where(LaneOutbox.id.in_(older)))
        session.add(LaneOutbox(sender_id=sender_id, message=json.dumps(message, ensure_ascii=False),
                               created_at=now or datetime.utcnow()))
        session.flush()
        stale = [row[0] for row in session.query(LaneOutbox.id).filter(LaneOutbox.sender_id == sender_id)
                 .order_by(LaneOutbox.id.desc()).offset(KEEP).all()]
        if stale:
            session.execute(delete(LaneOutbox).where(LaneOutbox.id.in_(stale)))


def take(sender_id: str) -> List[Dict[str, Any]]:
    """The sender's waiting messages, oldest first, each handed out once even if two servers ask at once."""
    with session_scope() as session:
        rows = (session.query(LaneOutbox.id, LaneOutbox.message).filter(LaneOutbox.sender_id == sender_id)
                .order_by(LaneOutbox.id).all())
    taken = []
    for row_id, message in rows:
        with session_scope() as session:  # whoever deletes the row hands it over
            if session.execute(delete(LaneOutbox).where(LaneOutbox.id == row_id)).rowcount == 1:
                taken.append(json.loads(message))
    return taken
