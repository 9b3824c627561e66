"""The human lane on a call: a person takes it over (the bot stays quiet), speaks into it, and gives it back."""
from __future__ import annotations

import asyncio
import logging
from typing import List, Optional

from voice.phone.call_state import CallState
from voice.phone.playback import Playback
from voice.phone.prompts import Segment

logger = logging.getLogger(__name__)


class HumanLane:
    """Whether a person has the call, and the way their words (and the bot's, at give-back) are spoken into it."""

    def __init__(self, call: CallState, playback: Playback) -> None:
        self.call = call
        self.playback = playback

    @property
    def active(self) -> bool:
        """A person has the call: no repeat prompts, no second handoff (CallState.handed_off says why)."""
        return self.call.handed_off

    def after_bot_turn(self, handed_off: bool) -> None:
        """The bot's turn says whether the conversation is paused for a person now."""
        if handed_off and not self.call.handed_off:
            logger.info("phone call %s handed to a person", self.call.sender_id)
        self.call.handed_off = handed_off

    def say(self, text: str, language: Optional[str] = None) -> asyncio.Task:
        """Speak any text into the call (after the audio already queued), in the call's language by default."""
        return self.playback.speak([(language or self.call.language, text)], remember=False)

    def take_back(self, segments: List[Segment]) -> None:
        """The agent gave the call back: the bot speaks again (e.g. the rating, on the keypad)."""
        self.call.handed_off = False
        if segments:
            self.playback.speak(segments)
