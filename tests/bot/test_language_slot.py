"""The language slot decided inside Rasa (bot/language_slot.py): the same answer as the action, no action server.

Rasa's own `action_extract_slots` runs on the real domain with no action endpoint at all: without
the install the language mapping cannot run (the round trip has nowhere to go), with it the slot is
set exactly as the action server's action_detect_language sets it.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.language import ActionDetectLanguage
from bot import language_slot
from tests.actions.tracker_helpers import make_tracker, run

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))

CASES = [
    ("我想搵人工", "zh-Hans"),
    ("I want to check my policy", "zh-Hans"),
    ("我想查保單", "zh-Hans"),
    ("我想查保单", "zh-Hans"),
    ("我想查保单", "en"),
    ("/request_human", "en"),
    ("EXTERNAL: EXTERNAL_premium_reminder", "en"),
    ("ok", "yue"),
    ("请讲英文", "zh-Hans"),
    ("我看不懂英文", "en"),
]


def extracted(text: str, current: str) -> list:
    """What Rasa's action_extract_slots returns after this message, with no action server anywhere."""
    tracker = DialogueStateTracker.from_events("language-slot", [
        SlotSet("language", current), ActionExecuted("action_listen"),
        UserUttered(text, {"name": "inform", "confidence": 1.0}),
    ], slots=DOMAIN.slots)
    return asyncio.run(ActionExtractSlots(None).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses), tracker, DOMAIN))


@pytest.fixture
def installed(monkeypatch):
    monkeypatch.setattr(ActionExtractSlots, "_run_custom_action", language_slot.run_custom_action)


@pytest.mark.parametrize("text, current", CASES)
def test_rasa_sets_the_language_as_the_action_would(installed, text, current):
    from_action, _ = run(ActionDetectLanguage(), make_tracker({"language": current}, text=text))
    expected = [SlotSet(e["name"], e["value"]) for e in from_action]
    assert [e for e in extracted(text, current) if isinstance(e, SlotSet) and e.key == "language"] == expected


def test_without_the_install_the_mapping_needs_the_action_server():
    assert extracted("I want to check my policy", "zh-Hans") == []  # the round trip had nowhere to go


def test_a_switch_to_english_is_seen_without_an_action_server(installed):
    assert SlotSet("language", "en") in extracted("I want to check my policy", "zh-Hans")
