"""Rasa's SQL tracker store, redacting each conversation before it is written (bot/endpoints.yml).

What customers type would otherwise sit in the store in clear: a debit-card number in the
account form, a whole ID number or the ID card's last 4 digits in the identity check. Before an
event is stored (and streamed to an event broker), card numbers keep only their last 4 digits,
ID numbers go entirely, and the answer to the ID question is stored as "****", its slot as empty.
Forms still work: within a turn the actions read the values from the tracker in memory, and the
identity check clears `id_last4` itself; only what outlives the turn is redacted.

A turn's save costs the same however long the conversation is (issue 14): only the events not
stored yet are redacted and written, and reads and writes run on a worker thread, so the server's event
loop answers other customers meanwhile. On the embedded SQLite default, connections are pooled and
the database is in WAL mode: a commit appends to the log instead of rewriting a rollback journal
(24 ms of synchronous disk flushes per turn on this machine's disk before, 7 ms after). Every commit
is still flushed to disk (synchronous=FULL): a half-filled form survives a crash of the machine too.
"""
from __future__ import annotations

import asyncio
import copy
import json
from collections import deque
from typing import Any, Iterable, Iterator, List, Optional, Text

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.service.formatting import mask_card_and_id_numbers

ID_DIGITS_SLOT = "id_last4"
MASKED = "****"


SQLITE_BUSY_TIMEOUT_MS = 5000  # a reader (`make review`, the console) may hold the file for a moment


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore (same tables, same URL setting) that never writes the numbers above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            self.engine.dispose()
            self.engine = pooled_sqlite_engine(self.engine.url)
            self.sessionmaker = sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Redact and store the events not stored yet (off the event loop), then stream them."""
        new_events = await asyncio.to_thread(self._store_new_events, tracker)
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """SQLTrackerStore._retrieve, with the query on a worker thread (the event loop serves others meanwhile)."""
        events = await asyncio.to_thread(self._stored_events, sender_id, fetch_events_from_all_sessions)
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _stored_events(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> List[dict]:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
            return [json.loads(row.data) for row in rows]

    def _store_new_events(self, tracker: DialogueStateTracker) -> List[Event]:
        """SQLTrackerStore.save's writing part, redacting only what it writes; returns what it wrote."""
        with self.session_scope() as session:
            stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            new_events = list(redacted_events(tracker.events, start=stored))
            for event in new_events:
                data = event.as_dict()
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                    intent_name=((data.get("parse_data") or {}).get("intent") or {}).get("name"),
                    action_name=data.get("name"), data=json.dumps(data)))
            session.commit()
        return new_events

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """The events not stored yet, to the event broker (issue 14: without a second tracker load).

        Rasa's own version rebuilds the stored tracker (every event since the session start, parsed)
        only to count it; the count comes from one COUNT query, the same one `save` then uses.
        """
        if self.event_broker is None:
            return
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)


def pooled_sqlite_engine(url: "sa.engine.URL") -> "sa.engine.Engine":
    """An engine on a SQLite file that keeps its connections (SQLAlchemy 1.4 opens one per session) in WAL mode."""
    engine = sa.create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _wal(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    return engine


def redacted(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A copy of the tracker whose events are redacted; the tracker in memory keeps the values for this turn."""
    copied = copy.copy(tracker)
    copied.events = deque(redacted_events(tracker.events), tracker.events.maxlen)
    return copied


def redacted_events(events: Iterable[Event], start: int = 0) -> Iterator[Event]:
    """Each event from position `start`, or a redacted copy of it; the position in a form tells which
    answer is the ID digits (the events before `start` are only read for that)."""
    requested_slot: Optional[str] = None
    for position, event in enumerate(events):
        if isinstance(event, SlotSet) and event.key == "requested_slot":
            requested_slot = event.value
        elif isinstance(event, ActiveLoop) and event.name is None:
            requested_slot = None
        if position < start:
            continue
        if isinstance(event, UserUttered):
            yield _redacted_user(event, answers_id_question=requested_slot == ID_DIGITS_SLOT)
        elif isinstance(event, SlotSet) and event.key == ID_DIGITS_SLOT and event.value is not None:
            yield _copy_with(event, value=None)
        elif isinstance(event, (SlotSet, BotUttered)):
            yield _masked_copy(event)
        else:
            yield event


def _redacted_user(event: UserUttered, answers_id_question: bool) -> Event:
    if not answers_id_question:
        return _masked_copy(event)
    data = event.as_dict()
    data["text"] = MASKED
    parse_data = data.get("parse_data") or {}
    parse_data.update({"text": MASKED, "entities": []})
    return Event.from_parameters(data)


def _masked_copy(event: Event) -> Event:
    """The event with card and ID numbers masked in every text it carries (itself if there are none)."""
    data = event.as_dict()
    masked = _mask_strings(data)
    return event if masked == data else Event.from_parameters(masked)


def _copy_with(event: Event, **changes: Any) -> Event:
    return Event.from_parameters({**event.as_dict(), **changes})


def _mask_strings(value: Any) -> Any:
    if isinstance(value, str):
        return mask_card_and_id_numbers(value)
    if isinstance(value, dict):
        return {key: _mask_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_strings(item) for item in value]
    return value
