"""Track: a theme becomes a pain point with an owner department, tasks and a due date, and moves
open -> in_progress -> fixed -> verified, or back (a fix customers do not confirm returns to in_progress;
a verified pain point that comes back is reopened). Complaints and work orders link to it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from actions.service.core.models import Complaint
from actions.service.voice_of_customer.tables import PainPoint, PainPointLink, PainPointTask, voc_session

OPEN, IN_PROGRESS, FIXED, VERIFIED, REOPENED = "open", "in_progress", "fixed", "verified", "reopened"
STATUSES = (OPEN, IN_PROGRESS, FIXED, VERIFIED, REOPENED)
# Where a pain point may go from each state. `verified` is reached only through the survey's verdict.
NEXT: Dict[str, FrozenSet[str]] = {
    OPEN: frozenset({IN_PROGRESS, FIXED}),
    IN_PROGRESS: frozenset({FIXED}),
    FIXED: frozenset({VERIFIED, IN_PROGRESS}),
    VERIFIED: frozenset({REOPENED}),
    REOPENED: frozenset({IN_PROGRESS, FIXED}),
}


class PainPointError(ValueError):
    """A pain point that does not exist, or a step it may not take."""


@dataclass(frozen=True)
class PainPointView:
    id: int
    title: str
    theme: str
    intent: str
    department: str
    status: str
    due_date: Optional[date]
    created_at: datetime
    fixed_at: Optional[datetime]
    verified_at: Optional[datetime]
    verdict: str
    tasks: Tuple[Tuple[str, bool], ...]
    links: Tuple[str, ...]

    @property
    def overdue(self) -> bool:
        return self.due_date is not None and self.status in (OPEN, IN_PROGRESS, REOPENED) and self.due_date < date.today()


def _view(session, row: PainPoint) -> PainPointView:
    tasks = tuple((t.text, bool(t.done)) for t in session.query(PainPointTask).filter_by(pain_point_id=row.id)
                  .order_by(PainPointTask.id))
    links = tuple(link.reference for link in session.query(PainPointLink).filter_by(pain_point_id=row.id)
                  .order_by(PainPointLink.id))
    return PainPointView(row.id, row.title, row.theme or "", row.intent or "", row.department, row.status,
                         row.due_date, row.created_at, row.fixed_at, row.verified_at, row.verdict or "", tasks, links)


def create_pain_point(title: str, department: str, theme: str = "", intent: str = "",
                      due_date: Optional[date] = None, tasks: Sequence[str] = ()) -> PainPointView:
    """A new open pain point (from a theme, or typed by a supervisor)."""
    if not title.strip() or not department.strip():
        raise PainPointError("a pain point needs a title and an owner department")
    with voc_session() as session:
        row = PainPoint(title=title.strip()[:200], theme=theme[:120], intent=intent[:60],
                        department=department.strip()[:60], status=OPEN, due_date=due_date, created_at=datetime.utcnow())
        session.add(row)
        session.flush()
        for text in tasks:
            session.add(PainPointTask(pain_point_id=row.id, text=text[:300]))
        session.flush()
        return _view(session, row)


def _row(session, pain_point_id: int) -> PainPoint:
    row = session.get(PainPoint, pain_point_id)
    if row is None:
        raise PainPointError(f"no pain point {pain_point_id}")
    return row


def get_pain_point(pain_point_id: int) -> PainPointView:
    with voc_session() as session:
        return _view(session, _row(session, pain_point_id))


def list_pain_points(statuses: Sequence[str] = ()) -> List[PainPointView]:
    with voc_session() as session:
        query = session.query(PainPoint)
        if statuses:
            query = query.filter(PainPoint.status.in_(list(statuses)))
        return [_view(session, row) for row in query.order_by(PainPoint.id)]


def add_task(pain_point_id: int, text: str) -> PainPointView:
    with voc_session() as session:
        row = _row(session, pain_point_id)
        session.add(PainPointTask(pain_point_id=row.id, text=text[:300]))
        session.flush()
        return _view(session, row)


def link_reference(pain_point_id: int, reference: str) -> PainPointView:
    """Link a complaint (TS-…, its work order goes with it) to the pain point."""
    reference = reference.strip().upper()
    with voc_session() as session:
        row = _row(session, pain_point_id)
        if session.query(Complaint.id).filter_by(reference=reference).first() is None:
            raise PainPointError(f"no complaint {reference}")
        if session.query(PainPointLink.id).filter_by(pain_point_id=row.id, reference=reference).first() is None:
            session.add(PainPointLink(pain_point_id=row.id, reference=reference))
        session.flush()
        return _view(session, row)


def move(pain_point_id: int, status: str, now: Optional[datetime] = None, verdict: str = "") -> PainPointView:
    """One step along the life cycle (NEXT); anything else is refused."""
    now = now or datetime.utcnow()
    with voc_session() as session:
        row = _row(session, pain_point_id)
        if status not in NEXT.get(row.status, frozenset()):
            raise PainPointError(f"pain point {row.id} is {row.status}; it cannot become {status}")
        row.status = status
        if status == FIXED:
            row.fixed_at, row.verified_at = now, None
        elif status == VERIFIED:
            row.verified_at = now
        if verdict:
            row.verdict = verdict[:300]
        session.flush()
        return _view(session, row)
