"""Rasa's SQL tracker store, redacting each conversation before it is written (bot/endpoints.yml).

What customers type would otherwise sit in the store in clear: a debit-card number in the
account form, a whole ID number or the ID card's last 4 digits in the identity check. Before an
event is stored (and streamed to an event broker), card numbers keep only their last 4 digits,
ID numbers go entirely, and the answer to the ID question is stored as "****", its slot as empty.
Forms still work: within a turn the actions read the values from the tracker in memory, and the
identity check clears `id_last4` itself; only what outlives the turn is redacted.
"""
from __future__ import annotations

import copy
from collections import deque
from typing import Any, Iterable, Iterator, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.service.formatting import mask_card_and_id_numbers

ID_DIGITS_SLOT = "id_last4"
MASKED = "****"


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore (same tables, same URL setting) that never writes the numbers above."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(redacted(tracker))

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


def redacted(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A copy of the tracker whose events are redacted; the tracker in memory keeps the values for this turn."""
    copied = copy.copy(tracker)
    copied.events = deque(redacted_events(tracker.events), tracker.events.maxlen)
    return copied


def redacted_events(events: Iterable[Event]) -> Iterator[Event]:
    """Each event, or a redacted copy of it; the position in a form tells which answer is the ID digits."""
    requested_slot: Optional[str] = None
    for event in events:
        if isinstance(event, SlotSet) and event.key == "requested_slot":
            requested_slot = event.value
        elif isinstance(event, ActiveLoop) and event.name is None:
            requested_slot = None
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
