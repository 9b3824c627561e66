"""Turn-taking: the caller's audio through the turn detector, a short pause judged by the smart turn model."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Awaitable, Callable, Dict, Optional

import numpy as np

from voice.phone.call_state import CallState
from voice.phone.frames import CallerAudio, KeyPressed
from voice.phone.pipeline import FrameProcessor
from voice.phone.smart_turn import judge_pause, prepare
from voice.phone.turns import PauseCheck, TurnDetector

logger = logging.getLogger(__name__)

# (voiced seconds, the turn so far at 16 kHz) -> the words Whisper heard in it
WordsSoFar = Callable[[float, Callable[[], np.ndarray]], Awaitable[str]]


class TurnTaking(FrameProcessor):
    """Turns caller audio into turn events (voice/phone/turns.py) and pushes them before the audio."""

    def __init__(self, call: CallState) -> None:
        super().__init__()
        self.call = call
        self.detector: Optional[TurnDetector] = None
        self.words_so_far: Optional[WordsSoFar] = None  # wired to the transcription step

    async def start(self, parameters: Dict[str, str]) -> None:
        """The call's detector, with the carrier's per-call overrides; the turn model and tagger loaded if it is on."""
        settings = self.call.settings.with_overrides(parameters)
        if settings.smart_turn:
            try:
                await asyncio.get_running_loop().run_in_executor(None, prepare)
            except Exception:  # no turn model: the fixed silence rule still serves the call
                logger.exception("phone call: the turn model is unavailable, ending turns on silence")
                settings = replace(settings, smart_turn=False)
        self.detector = TurnDetector(settings)

    @property
    def started(self) -> bool:
        return self.detector is not None

    @property
    def in_turn(self) -> bool:
        return self.detector is not None and self.detector.in_turn

    @property
    def voiced_s(self) -> float:
        return self.detector.voiced_s if self.detector is not None else 0.0

    def reset(self) -> None:
        if self.detector is not None:
            self.detector.reset()

    async def process(self, frame: object) -> None:
        if isinstance(frame, CallerAudio):
            await self._push_events(self.detector.feed(frame.mulaw))
        elif isinstance(frame, KeyPressed):
            self.detector.reset()  # a key, not a turn
        await self.push(frame)

    async def _push_events(self, events: list) -> None:
        for event in events:
            if isinstance(event, PauseCheck):
                self.call.spawn(self._check_pause(event))
            else:
                await self.push(event)

    async def _check_pause(self, check: PauseCheck) -> None:
        """A short pause: if the turn model and the words so far say the caller is done, answer now."""
        async def words() -> str:
            if self.detector is None or not self.detector.still_paused(check):
                return ""  # the caller went on (or the turn is over): no Whisper pass for a stale pause
            return await self.words_so_far(check.voiced_s, check.pcm16k)

        try:
            complete = await judge_pause(check.pcm16k(), words)
        except Exception:  # the silence rule still ends the turn
            logger.exception("phone call %s: the end-of-turn check failed", self.call.sender_id)
            return
        if complete and self.detector is not None:
            await self._push_events(self.detector.end_now(check))
