"""Listen: collect contacts and free-text voices from conversations and from the service records.

Two ways in for conversations, one store: Rasa's tracker store (read incrementally by row id) and,
where one is configured, the event broker (a consumer hands each message to `ingest_conversation_events`).
Both give Rasa's event dicts; an event's key is sender + Rasa's own timestamp + type, identical in
both, so the UNIQUE key stores it once whichever arrives first (or both).

Business records (feedback, complaints, fallback service events) become voices too. A voice's key is
the sender plus a hash of the masked words, so a comment typed after a low rating that is both in the
feedback table and in the conversation counts once. Every text is masked (phone, card and ID digits)
before it is stored.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence

from sqlalchemy import create_engine, inspect, text as sql_text
from sqlalchemy.engine import Engine

from actions.service.core.interactions import FALLBACK
from actions.service.core.models import Complaint, Feedback, HandoffTicket, ServiceEvent
from actions.service.core.settings import get_settings
from actions.service.formatting import mask_digits_in_text
from actions.service.voice_of_customer.tables import Contact, ConversationEvent, IngestCursor, Voice, voc_session

logger = logging.getLogger(__name__)

SESSION_GAP = timedelta(minutes=30)  # a longer silence starts a new contact (Rasa's session expiry)
# Intents that say nothing about what the customer came for.
SMALL_TALK = {"greet", "goodbye", "thank", "affirm", "deny", "inform", "switch_language", "bot_challenge",
              "nlu_fallback", "out_of_scope", "give_feedback", "request_human", ""}
MISUNDERSTOOD = {"nlu_fallback"}
HANDOFF_ACTIONS = {"action_handoff"}
LOW_RATING = 2  # 1-2 of 5: the customer is asked what should be better
BATCH = 5000

# Kinds of voices.
LOW_RATING_COMMENT, FEEDBACK_TEXT, COMPLAINT_TEXT, FALLBACK_TEXT, LAST_TURN = (
    "low_rating_comment", "feedback", "complaint", "fallback", "last_turn")


_KEPT_TAIL = re.compile(r"\*{4}\d{4}")


def mask_for_analysis(text: str) -> str:
    """Phone, card and ID numbers masked entirely (the project's mask keeps a last 4; analysis needs none)."""
    return _KEPT_TAIL.sub("****", mask_digits_in_text(text or ""))


# --- conversation events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One conversation event, flattened and masked."""

    key: str
    sender_id: str
    at: datetime
    event: str
    name: str = ""
    value: str = ""
    text: str = ""
    channel: str = ""


def event_key(sender_id: str, event: dict) -> str:
    """Sender + Rasa's timestamp (microseconds) + type: the same for the broker's copy and the tracker store's."""
    return f"{sender_id}|{float(event.get('timestamp') or 0):.6f}|{event.get('event', '')}"[:200]


def _rating_entity(parse_data: dict) -> str:
    for entity in parse_data.get("entities") or []:
        if entity.get("entity") == "rating" and str(entity.get("value", "")).isdigit():
            return str(entity["value"])
    return ""


def flatten(sender_id: str, event: dict) -> Optional[Row]:
    """The fields analytics needs from one Rasa event dict, masked; None for events it ignores."""
    kind = event.get("event") or ""
    at = datetime.utcfromtimestamp(float(event.get("timestamp") or 0))
    common = dict(key=event_key(sender_id, event), sender_id=sender_id[:128], at=at, event=kind)
    if kind == "user":
        parse_data = event.get("parse_data") or {}
        intent = (parse_data.get("intent") or {}).get("name") or ""
        return Row(**common, name=intent[:80], value=_rating_entity(parse_data),
                   text=mask_for_analysis(event.get("text") or "")[:1000], channel=(event.get("input_channel") or "")[:30])
    if kind in ("action", "active_loop"):
        return Row(**common, name=(event.get("name") or "")[:80])
    if kind == "slot" and event.get("name") in ("language",):
        return Row(**common, name=event["name"], value=str(event.get("value") or "")[:80])
    if kind in ("session_started", "pause", "resume"):
        return Row(**common)
    return None


def ingest_conversation_events(events: Iterable[dict], source: str = "broker") -> List[str]:
    """Store Rasa event dicts (each with `sender_id`); returns the senders with new events. Duplicates are skipped."""
    rows: Dict[str, Row] = {}
    for event in events:
        sender = str(event.get("sender_id") or "")
        row = flatten(sender, event) if sender else None
        if row is not None:
            rows[row.key] = row
    if not rows:
        return []
    new: List[Row] = []
    with voc_session() as session:
        keys = list(rows)
        seen = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            seen.update(k for (k,) in session.query(ConversationEvent.event_key)
                        .filter(ConversationEvent.event_key.in_(chunk)))
        new = [row for key, row in rows.items() if key not in seen]
        session.bulk_insert_mappings(ConversationEvent, [
            dict(event_key=r.key, sender_id=r.sender_id, at=r.at, event=r.event, name=r.name, value=r.value,
                 text=r.text, channel=r.channel, source=source) for r in new])
    senders = sorted({row.sender_id for row in new})
    rebuild_contacts(senders)
    return senders


@lru_cache(maxsize=None)
def _tracker_engine(url: str) -> Engine:
    return create_engine(url, future=True)


def collect_from_tracker_store(url: Optional[str] = None, limit: int = 200_000) -> int:
    """Read new rows of Rasa's SQL tracker store (table `events`) since the last call; returns how many."""
    engine = _tracker_engine(url or get_settings().tracker_store_url)
    if not inspect(engine).has_table("events"):
        return 0
    with voc_session() as session:
        cursor = session.get(IngestCursor, "tracker_store") or IngestCursor(source="tracker_store", last_id=0)
        last_id = cursor.last_id
    with engine.connect() as connection:
        rows = connection.execute(sql_text("SELECT id, sender_id, data FROM events WHERE id > :after ORDER BY id LIMIT :n"),
                                  {"after": last_id, "n": limit}).fetchall()
    events = []
    for row_id, sender_id, data in rows:
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            continue
        event["sender_id"] = sender_id
        events.append(event)
    ingest_conversation_events(events, source="tracker")
    if rows:
        with voc_session() as session:
            cursor = session.get(IngestCursor, "tracker_store")
            if cursor is None:
                session.add(IngestCursor(source="tracker_store", last_id=rows[-1][0]))
            else:
                cursor.last_id = max(cursor.last_id, rows[-1][0])
    return len(rows)


# --- contacts ---------------------------------------------------------------------------------------


def _sessions(events: Sequence[ConversationEvent]) -> List[List[ConversationEvent]]:
    """A sender's events split into contacts: at session_started or after a silence longer than SESSION_GAP."""
    sessions: List[List[ConversationEvent]] = []
    for event in events:
        if not sessions or event.event == "session_started" or event.at - sessions[-1][-1].at > SESSION_GAP:
            sessions.append([])
        sessions[-1].append(event)
    return [s for s in sessions if any(e.event == "user" for e in s)]


@dataclass
class _Outcome:
    contact: dict
    comment: Optional[ConversationEvent]
    last_turn: Optional[ConversationEvent]


def _outcome(sender_id: str, events: List[ConversationEvent], senior_senders: set, now: datetime) -> _Outcome:
    users = [e for e in events if e.event == "user" and not (e.text or "").startswith("/restart")]
    intents = [e.name for e in users]
    handed_off = any(e.event == "pause" or (e.event == "action" and e.name in HANDOFF_ACTIONS) for e in events)
    language = next((e.value for e in reversed(events) if e.event == "slot" and e.name == "language"), "")
    ratings = [(i, int(e.value)) for i, e in enumerate(users) if e.value.isdigit()]
    rating = ratings[-1][1] if ratings else None
    # The one follow-up after a low rating: the customer's next words, if they typed or said any.
    comment = None
    if rating is not None and rating <= LOW_RATING:
        after = [e for e in users[ratings[-1][0] + 1:] if e.text and not e.text.startswith("/")]
        comment = after[0] if after else None
    loops = [e.name for e in events if e.event == "active_loop"]
    form_left_open = bool(loops) and bool(loops[-1])
    last_user = users[-1] if users else None
    finished_quiet = now - events[-1].at > SESSION_GAP
    abandoned = (not handed_off and rating is None and finished_quiet and last_user is not None
                 and (form_left_open or last_user.name in MISUNDERSTOOD))
    contact = dict(
        contact_key=f"{sender_id}|{events[0].at.timestamp():.6f}"[:200], sender_id=sender_id,
        started_at=events[0].at, ended_at=events[-1].at,
        channel=next((e.channel for e in users if e.channel), ""), language=language,
        intent=next((i for i in intents if i not in SMALL_TALK), intents[0] if intents else "")[:60],
        user_turns=len(users), fallbacks=sum(i in MISUNDERSTOOD for i in intents), handed_off=handed_off,
        senior=handed_off and sender_id in senior_senders, abandoned=abandoned, rating=rating)
    last_turn = last_user if abandoned and last_user and last_user.text and not last_user.text.startswith("/") else None
    return _Outcome(contact, comment, last_turn)


def rebuild_contacts(sender_ids: Sequence[str], now: Optional[datetime] = None) -> int:
    """Recompute the contacts of these senders from their stored events (idempotent); returns how many."""
    now = now or datetime.utcnow()
    count = 0
    for start in range(0, len(sender_ids), 200):
        chunk = list(sender_ids[start:start + 200])
        with voc_session() as session:
            events = (session.query(ConversationEvent).filter(ConversationEvent.sender_id.in_(chunk))
                      .order_by(ConversationEvent.sender_id, ConversationEvent.at, ConversationEvent.id).all())
            seniors = {s for (s,) in session.query(HandoffTicket.sender_id).filter(
                HandoffTicket.sender_id.in_(chunk), HandoffTicket.priority == "senior")}
            by_sender: Dict[str, List[ConversationEvent]] = {}
            for event in events:
                by_sender.setdefault(event.sender_id, []).append(event)
            existing = {c.contact_key: c for c in session.query(Contact).filter(Contact.sender_id.in_(chunk))}
            voices = []
            for sender, sender_events in by_sender.items():
                for contact_events in _sessions(sender_events):
                    outcome = _outcome(sender, contact_events, seniors, now)
                    values = outcome.contact
                    row = existing.get(values["contact_key"])
                    if row is None:
                        session.add(Contact(**values))
                    else:
                        for name, value in values.items():
                            setattr(row, name, value)
                    count += 1
                    context = dict(channel=values["channel"], language=values["language"], intent=values["intent"])
                    if outcome.comment is not None:
                        voices.append(dict(kind=LOW_RATING_COMMENT, sender_id=sender, at=outcome.comment.at,
                                           text=outcome.comment.text, rating=values["rating"], **context))
                    if outcome.last_turn is not None:
                        voices.append(dict(kind=LAST_TURN, sender_id=sender, at=outcome.last_turn.at,
                                           text=outcome.last_turn.text, **context))
        add_voices(voices)
    return count


# --- voices -----------------------------------------------------------------------------------------


def voice_key(sender_id: str, text: str) -> str:
    """The same words from the same sender are one voice, whichever record they were found in."""
    return f"say:{sender_id}:{hashlib.sha256(text.strip().encode('utf-8')).hexdigest()[:32]}"


def _worth_analysing(text: str) -> bool:
    stripped = (text or "").strip()
    return bool(stripped) and not stripped.startswith("/") and not stripped.isdigit() and stripped != "****"


def add_voices(voices: Iterable[dict]) -> int:
    """Store voices (masked again, to be sure), once per key; a low-rating comment upgrades a plain feedback."""
    prepared: Dict[str, dict] = {}
    for voice in voices:
        text = mask_for_analysis(voice.get("text") or "").strip()[:1000]
        if not _worth_analysing(text):
            continue
        key = voice.get("source_key") or voice_key(voice.get("sender_id") or "", text)
        prepared[key] = {**voice, "text": text, "source_key": key}
    if not prepared:
        return 0
    added = 0
    with voc_session() as session:
        keys = list(prepared)
        existing: Dict[str, Voice] = {}
        for start in range(0, len(keys), 500):
            for row in session.query(Voice).filter(Voice.source_key.in_(keys[start:start + 500])):
                existing[row.source_key] = row
        fresh = []
        for key, voice in prepared.items():
            row = existing.get(key)
            if row is None:
                fresh.append({name: voice.get(name) for name in (
                    "source_key", "at", "kind", "sender_id", "customer_id", "channel", "language", "intent",
                    "rating", "text")})
            elif voice["kind"] == LOW_RATING_COMMENT and row.kind != LOW_RATING_COMMENT:
                row.kind, row.rating = LOW_RATING_COMMENT, voice.get("rating")
        for voice in fresh:
            voice["customer_id"] = voice.get("customer_id")
            voice["channel"] = voice.get("channel") or ""
            voice["language"] = voice.get("language") or ""
            voice["intent"] = voice.get("intent") or ""
        session.bulk_insert_mappings(Voice, fresh)
        added = len(fresh)
    return added


def _cursor(session, source: str) -> IngestCursor:
    cursor = session.get(IngestCursor, source)
    if cursor is None:
        cursor = IngestCursor(source=source, last_id=0)
        session.add(cursor)
    return cursor


def collect_from_service_records(limit: int = 100_000) -> int:
    """Voices from typed feedback, complaint descriptions and fallback utterances stored since the last call."""
    voices: List[dict] = []
    with voc_session() as session:
        cursors = {name: _cursor(session, name) for name in ("feedback", "complaints", "service_events")}
        rows = (session.query(Feedback).filter(Feedback.id > cursors["feedback"].last_id)
                .order_by(Feedback.id).limit(limit).all())
        for row in rows:
            voices.append(dict(kind=FEEDBACK_TEXT, at=row.created_at, sender_id=row.sender_id,
                               customer_id=row.customer_id, channel=row.channel, language=row.language,
                               intent=row.intent, rating=row.rating, text=row.text))
        if rows:
            cursors["feedback"].last_id = rows[-1].id
        complaints = (session.query(Complaint).filter(Complaint.id > cursors["complaints"].last_id)
                      .order_by(Complaint.id).limit(limit).all())
        for row in complaints:
            voices.append(dict(kind=COMPLAINT_TEXT, at=row.created_at, sender_id=row.sender_id,
                               customer_id=row.customer_id, channel=row.channel, language=row.language,
                               intent=row.category or row.intent, text=row.description))
        if complaints:
            cursors["complaints"].last_id = complaints[-1].id
        fallbacks = (session.query(ServiceEvent)
                     .filter(ServiceEvent.id > cursors["service_events"].last_id)
                     .order_by(ServiceEvent.id).limit(limit).all())
        for row in fallbacks:
            if row.kind == FALLBACK:
                voices.append(dict(kind=FALLBACK_TEXT, at=row.created_at, sender_id=row.sender_id,
                                   customer_id=row.customer_id, channel=row.channel, language=row.language,
                                   intent=row.intent, text=row.detail))
        if fallbacks:
            cursors["service_events"].last_id = fallbacks[-1].id
    return add_voices(voices)


def collect_all() -> Dict[str, int]:
    """One listening round: the tracker store, then the service records (the scheduler or a bench calls this)."""
    return {"conversation_events": collect_from_tracker_store(), "voices": collect_from_service_records()}
