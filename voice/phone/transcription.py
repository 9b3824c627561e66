"""Transcription: Whisper on the caller's turn, started early at a pause and reused when the turn ends."""
from __future__ import annotations

import asyncio
import logging
from typing import Callable, Optional, Tuple

import numpy as np

from voice.phone.call_state import CallState
from voice.phone.frames import CallerTurn, EarlyTranscript, KeyPressed
from voice.phone.pipeline import FrameProcessor
from voice.phone.playback import Playback
from voice.phone.turns import SpeechStarted, TurnEnded, TurnPaused

logger = logging.getLogger(__name__)


def transcribe(audio, language: Optional[str], prefer: Optional[str] = None):
    """Whisper on a caller's turn; `prefer` (the call's language so far) only tips language detection."""
    from voice.asr import get_recognizer

    return get_recognizer().transcribe(audio, language=language, prefer=prefer)


class Transcription(FrameProcessor):
    """Turns a paused or ended turn into its transcript (a future), pushed on as EarlyTranscript / CallerTurn."""

    def __init__(self, call: CallState, playback: Playback) -> None:
        super().__init__()
        self.call = call
        self.playback = playback
        self._early: Optional[Tuple[float, asyncio.Future]] = None  # (voiced_s, transcript) of the turn so far

    async def process(self, frame: object) -> None:
        if isinstance(frame, (SpeechStarted, KeyPressed)):
            self._early = None  # a new turn (or a key): an earlier turn's early transcript is not this one's
        elif isinstance(frame, TurnPaused):
            if frame.voiced_s < self.call.settings.min_speech_s and self.playback.held is None:
                return  # a cough while nobody was talking: not worth a Whisper pass
            future = self.transcript_so_far(frame.voiced_s, frame.pcm16k)
            await self.push(frame)
            await self.push(EarlyTranscript(frame.voiced_s, future))
            return
        elif isinstance(frame, TurnEnded):
            early, self._early = self._early, None
            # The early transcript is the turn's if the caller said nothing after that pause.
            await self.push(CallerTurn(frame, early[1] if early is not None and early[0] == frame.voiced_s else None))
            return
        await self.push(frame)

    def transcript_so_far(self, voiced_s: float, pcm16k: Callable[[], np.ndarray]) -> asyncio.Future:
        """Whisper on the turn so far, started once per pause (the turn model's check may have started it)."""
        if self._early is not None and self._early[0] == voiced_s:
            return self._early[1]
        future = asyncio.get_running_loop().run_in_executor(
            None, transcribe, pcm16k(), self.language_for(voiced_s), self.prefer)
        self._early = (voiced_s, future)
        return future

    async def words_so_far(self, voiced_s: float, pcm16k: Callable[[], np.ndarray]) -> str:
        return (await self.transcript_so_far(voiced_s, pcm16k)).text

    async def transcript(self, turn: CallerTurn) -> str:
        """The turn's words: its early transcript if it has one, else a Whisper pass now ("" if none)."""
        ended = turn.ended
        try:
            result = await (turn.early or asyncio.get_running_loop().run_in_executor(
                None, transcribe, ended.pcm16k(), self.language_for(ended.voiced_s), self.prefer))
            return result.text.strip()
        except Exception:
            logger.exception("phone call %s: speech recognition failed", self.call.sender_id)
            return ""

    def language_for(self, voiced_s: float) -> Optional[str]:
        """The language to force on Whisper, or None to let it detect (limited to zh/yue/en).

        Cantonese is always forced (Whisper base reports it as zh). A burst shorter than barge_in_s
        (嗯, 好的, OK) is too short for language identification (base hears "好的" as "I'll go"),
        and too short to be a request to switch language: it is read in the call's language.
        """
        if self.call.language == "yue":
            return "yue"
        if voiced_s < self.call.settings.barge_in_s:
            return "en" if self.call.language == "en" else "zh"
        return None

    @property
    def prefer(self) -> str:
        return "en" if self.call.language == "en" else "zh"
