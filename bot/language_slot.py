"""The language slot's custom mapping answered inside Rasa: no action server round trip per turn.

The domain maps the `language` slot with `action_detect_language` (bot/domain/core.yml), which
Rasa's `action_extract_slots` runs after every user message. Its whole logic is one plain function
(actions.service.language.language_slot_update, no database, no Rasa), so sending the tracker
to the action server and back for it cost a round trip on every turn (about 5% of a turn's time
under load, issue 14). `install()` (called by bot/serve.py before Rasa starts) lets
`action_extract_slots` answer that one mapping in this process with the same function; every other
custom action still goes to the action server, and the action stays there for a Rasa started
without bot.serve.
"""
from __future__ import annotations

from typing import Any, List, Text

from rasa.core.actions.action import ActionExtractSlots
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from actions.service.language import language_slot_update

LANGUAGE_SLOT = "language"
LANGUAGE_ACTION = "action_detect_language"

_run_on_action_server = ActionExtractSlots._run_custom_action


def language_events(tracker: DialogueStateTracker) -> List[Event]:
    """What action_detect_language returns for this tracker: the new language, or nothing."""
    text = tracker.latest_message.text if tracker.latest_message is not None else ""
    language = language_slot_update(text or "", tracker.get_slot(LANGUAGE_SLOT))
    return [SlotSet(LANGUAGE_SLOT, language)] if language is not None else []


async def run_custom_action(extract_slots: ActionExtractSlots, custom_action: Text, output_channel: Any, nlg: Any,
                            tracker: DialogueStateTracker, domain: Any) -> List[Event]:
    """ActionExtractSlots._run_custom_action, with the language mapping answered here."""
    if custom_action == LANGUAGE_ACTION:
        return language_events(tracker)
    return await _run_on_action_server(extract_slots, custom_action, output_channel, nlg, tracker, domain)


def install() -> None:
    """Make action_extract_slots decide the language slot in this process."""
    ActionExtractSlots._run_custom_action = run_custom_action  # type: ignore[assignment]
