"""The voice-of-the-customer tables. They share the service layer's metadata and database; they are
created here (additive, like core.db) so the capability stays in its own package."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Iterator

from sqlalchemy import Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Session

from actions.service.core.db import create_missing_tables, get_engine, session_scope
from actions.service.core.models import Base
from actions.service.core.settings import get_settings


class ConversationEvent(Base):
    """One conversation event (from the tracker store or the event broker), stored once.

    `event_key` is sender + Rasa's event timestamp + event type: the same event read from the broker and
    from the tracker store has the same key, so the UNIQUE constraint counts it once.
    """

    __tablename__ = "voc_conversation_events"
    id = Column(Integer, primary_key=True)
    event_key = Column(String(200), unique=True, nullable=False)
    sender_id = Column(String(128), nullable=False)
    at = Column(DateTime, nullable=False)
    event = Column(String(30), nullable=False)  # user | bot | action | slot | session_started | pause ...
    name = Column(String(80), default="")  # intent of a user turn, action name, slot name
    value = Column(String(80), default="")  # a slot's value (language, rating)
    text = Column(Text, default="")  # masked
    channel = Column(String(30), default="")
    source = Column(String(10), default="")  # tracker | broker
    __table_args__ = (Index("ix_voc_conversation_events_sender_at", "sender_id", "at"),)


class Contact(Base):
    """One conversation session: where, in which language, about what, and how it ended."""

    __tablename__ = "voc_contacts"
    id = Column(Integer, primary_key=True)
    contact_key = Column(String(200), unique=True, nullable=False)  # sender + first event's timestamp
    sender_id = Column(String(128), nullable=False, index=True)
    started_at = Column(DateTime, nullable=False, index=True)
    ended_at = Column(DateTime, nullable=False)
    channel = Column(String(30), default="")
    language = Column(String(8), default="")
    intent = Column(String(60), default="")
    user_turns = Column(Integer, default=0)
    fallbacks = Column(Integer, default=0)
    handed_off = Column(Boolean, default=False)
    senior = Column(Boolean, default=False)  # a senior's handoff is the green lane by design, not a failure
    abandoned = Column(Boolean, default=False)
    rating = Column(Integer, nullable=True)


class Voice(Base):
    """One free-text voice for theme analysis (masked): a comment, a complaint, a fallback utterance, a last turn."""

    __tablename__ = "voc_voices"
    id = Column(Integer, primary_key=True)
    source_key = Column(String(200), unique=True, nullable=False)  # where it came from, stored once
    at = Column(DateTime, nullable=False, index=True)
    kind = Column(String(20), nullable=False)  # low_rating_comment | feedback | complaint | fallback | last_turn
    sender_id = Column(String(128), default="")
    customer_id = Column(Integer, nullable=True)
    channel = Column(String(30), default="")
    language = Column(String(8), default="")
    intent = Column(String(60), default="")
    rating = Column(Integer, nullable=True)
    text = Column(Text, nullable=False)
    theme = Column(String(120), default="")


class IngestCursor(Base):
    """How far each source has been read (the highest id seen)."""

    __tablename__ = "voc_ingest_cursors"
    source = Column(String(40), primary_key=True)
    last_id = Column(Integer, nullable=False, default=0)


class PainPoint(Base):
    """A theme a supervisor turned into work: open -> in_progress -> fixed -> verified, or reopened."""

    __tablename__ = "voc_pain_points"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    theme = Column(String(120), default="")
    intent = Column(String(60), default="")  # the service it is about: whose users are surveyed
    department = Column(String(60), nullable=False)
    status = Column(String(20), nullable=False, default="open")
    due_date = Column(Date, nullable=True)
    created_at = Column(DateTime, default=datetime.utcnow)
    fixed_at = Column(DateTime, nullable=True)
    verified_at = Column(DateTime, nullable=True)
    verdict = Column(String(300), default="")


class PainPointTask(Base):
    __tablename__ = "voc_pain_point_tasks"
    id = Column(Integer, primary_key=True)
    pain_point_id = Column(ForeignKey("voc_pain_points.id"), index=True, nullable=False)
    text = Column(String(300), nullable=False)
    done = Column(Boolean, default=False)


class PainPointLink(Base):
    """A complaint (TS-…) or work order that belongs to a pain point."""

    __tablename__ = "voc_pain_point_links"
    id = Column(Integer, primary_key=True)
    pain_point_id = Column(ForeignKey("voc_pain_points.id"), index=True, nullable=False)
    reference = Column(String(40), nullable=False)
    __table_args__ = (UniqueConstraint("pain_point_id", "reference", name="uq_voc_pain_point_link"),)


class Survey(Base):
    """One verification survey to one customer for one fixed pain point: UNIQUE makes it once only."""

    __tablename__ = "voc_surveys"
    id = Column(Integer, primary_key=True)
    pain_point_id = Column(ForeignKey("voc_pain_points.id"), index=True, nullable=False)
    customer_id = Column(Integer, nullable=False)
    status = Column(String(12), nullable=False, default="held")  # held (quiet hours) | sent | answered | skipped
    send_after = Column(DateTime, nullable=True)
    sent_at = Column(DateTime, nullable=True)
    rating = Column(Integer, nullable=True)
    answered_at = Column(DateTime, nullable=True)
    __table_args__ = (UniqueConstraint("pain_point_id", "customer_id", name="uq_voc_survey_customer"),)


class SatisfactionBaseline(Base):
    """Ratings before the fix, frozen when a pain point is marked fixed (the 'before' of the verdict)."""

    __tablename__ = "voc_baselines"
    pain_point_id = Column(ForeignKey("voc_pain_points.id"), primary_key=True)
    satisfied = Column(Integer, nullable=False)
    rated = Column(Integer, nullable=False)
    share = Column(Float, nullable=True)


VOC_TABLES = [ConversationEvent.__table__, Contact.__table__, Voice.__table__, IngestCursor.__table__,
              PainPoint.__table__, PainPointTask.__table__, PainPointLink.__table__, Survey.__table__,
              SatisfactionBaseline.__table__]


@lru_cache(maxsize=None)
def _created(url: str) -> bool:
    create_missing_tables(get_engine(url), VOC_TABLES)
    return True


def ensure_tables() -> None:
    """Create the tables if missing (once per database URL and process; nothing is ever dropped)."""
    _created(get_settings().database_url)


@contextmanager
def voc_session() -> Iterator[Session]:
    """A transaction on the business database, with this package's tables present."""
    ensure_tables()
    with session_scope() as session:
        yield session
