"""Barge-in: the caller's voice over the bot pauses it; long speech interrupts, a backchannel resumes it.

The caller's voice over the bot pauses it at once (SpeechOnset: `clear` within about 0.2 s of the
first sound) and the unheard rest of the prompt is kept. Speech that goes on is an interruption
and the rest is dropped; a short burst that ASR reads as a backchannel (嗯, 对, OK) or as nothing
picks the prompt up again from the sentence that was cut.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Awaitable, Callable

from voice.phone.call_state import CallState
from voice.phone.frames import EarlyTranscript
from voice.phone.pipeline import FrameProcessor
from voice.phone.playback import Playback
from voice.phone.turn_taking import TurnTaking
from voice.phone.turns import LongSpeech, SpeechOnset

logger = logging.getLogger(__name__)

# Short acknowledgements an old caller says while listening: they must not stop the bot.
BACKCHANNELS = {"嗯", "嗯嗯", "恩", "对", "對", "对对", "對對", "好", "好的", "是", "是的", "哦", "噢", "啊", "係",
                "系", "ok", "okay", "yes", "yeah", "mhm", "uh huh", "right", "i see"}
_REPEATED_BACKCHANNEL = re.compile("(?:" + "|".join(sorted((w for w in BACKCHANNELS if not w.isascii()), key=len,
                                                             reverse=True)) + ")+")


def is_backchannel(text: str) -> bool:
    """嗯, 对对, OK ...: an acknowledgement, not a request (Whisper often repeats them: 对对对对)."""
    words = re.sub(r"[\s\W_]+", " ", text.lower(), flags=re.UNICODE).strip()
    return words in BACKCHANNELS or bool(words) and all(
        part in BACKCHANNELS or _REPEATED_BACKCHANNEL.fullmatch(part) for part in words.split())


class BargeIn(FrameProcessor):
    """Decides what the caller's voice over the bot means for playback: pause, interrupt or resume."""

    def __init__(self, call: CallState, playback: Playback, turns: TurnTaking,
                 answer: Callable[[str], Awaitable[None]]) -> None:
        super().__init__()
        self.call = call
        self.playback = playback
        self.turns = turns
        self.answer = answer  # words for the bot (a short burst that was not a backchannel)

    async def process(self, frame: object) -> None:
        if isinstance(frame, SpeechOnset) and self.playback.playing:
            kept = await self.playback.pause()
            logger.info("phone call %s: paused for the caller (%d sentence(s) kept)", self.call.sender_id, kept)
        elif isinstance(frame, LongSpeech) and (self.playback.held is not None or self.playback.playing):
            logger.info("phone call %s: barge-in", self.call.sender_id)
            await self.playback.interrupt()
        elif (isinstance(frame, EarlyTranscript) and self.playback.held is not None
              and frame.voiced_s < self.call.settings.barge_in_s):
            self.call.spawn(self._judge_short_burst(frame.voiced_s, frame.transcript))
        await self.push(frame)

    async def _judge_short_burst(self, voiced_s: float, transcript: asyncio.Future) -> None:
        """A short burst paused the bot: a backchannel (or nothing) resumes it, words end the pause."""
        try:
            text = (await transcript).text.strip()
        except Exception:
            logger.exception("phone call %s: speech recognition failed", self.call.sender_id)
            text = ""
        if self.playback.held is None or not self.turns.started:
            return  # a key, a real interruption or the bot's next reply came first
        if self.turns.voiced_s > voiced_s:
            return  # the caller went on speaking: the next pause (or LongSpeech) decides
        if text and not is_backchannel(text):
            self.playback.held = None  # a short answer ("不对"): the turn goes to the bot when it ends
            if voiced_s < self.call.settings.min_speech_s:
                # Too short to end as a turn (turns.py drops it), yet words: the bot answers them now,
                # or the caller would hear nothing at all.
                await self.answer(text)
            return
        logger.info("phone call %s: backchannel %r, resuming", self.call.sender_id, text)
        if self.turns.in_turn:
            self.turns.reset()  # the burst was not a turn (a short one ends by itself, unreported)
        self.playback.resume()
