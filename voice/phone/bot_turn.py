"""The bot's turn: the caller's words (or keys) through Rasa, the reply spoken; silence and failures re-prompt.

Every finished caller transcript (and key payload) reaches Rasa here, `answer` -> `hooks.bot_turn`.
Failures: 6 s of silence after a prompt repeats it; the second failed recognition in a row
(silence or speech nobody could transcribe) hands the caller to a person. A bot server that cannot be
reached (BotUnavailable) is not the caller's failure: voice/phone/bot_outage.py answers instead
(an apology, then a call-back ticket); a turn that failed inside the bot says "not heard".
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import List, Optional

from actions.service.constants import HUMAN_PAYLOAD
from voice.phone import prompts
from voice.phone.barge_in import is_backchannel
from voice.phone.bot_outage import BotOutage
from voice.phone.call_state import BotReply, BotUnavailable, CallState
from voice.phone.frames import CallerAudio, CallerTurn
from voice.phone.human_lane import HumanLane
from voice.phone.keypad import Keypad
from voice.phone.pipeline import FrameProcessor
from voice.phone.playback import Playback
from voice.phone.prompts import Segment
from voice.phone.transcription import Transcription
from voice.phone.turn_taking import TurnTaking
from voice.phone.turns import SpeechStarted

logger = logging.getLogger(__name__)

NO_INPUT_S = 6.0  # silence after a prompt before it is repeated
MAX_FAILURES = 2  # failed recognitions in a row before a person takes over


@dataclass
class TurnTimings:
    """Per-turn latencies in ms, measured from the moment the caller's turn was judged ended."""

    asr_ms: float = 0.0
    rasa_ms: float = 0.0
    tts_first_byte_ms: float = 0.0
    total_ms: float = 0.0  # end of speech (endpoint) -> first reply audio frame sent
    transcript: str = ""


class BotTurn(FrameProcessor):
    """Runs one bot turn at a time: a caller's turn, a key's text or a re-prompt after silence."""

    def __init__(self, call: CallState, turns: TurnTaking, transcription: Transcription, keypad: Keypad,
                 playback: Playback, lane: HumanLane, no_input_s: float = NO_INPUT_S,
                 max_failures: int = MAX_FAILURES) -> None:
        super().__init__()
        self.call = call
        self.turns = turns
        self.transcription = transcription
        self.keypad = keypad
        self.playback = playback
        self.lane = lane
        self.no_input_s = no_input_s
        self.max_failures = max_failures
        self.failures = 0
        self.outage = BotOutage(call)
        self.timings: List[TurnTimings] = []
        self._lock = asyncio.Lock()

    async def process(self, frame: object) -> None:
        call = self.call
        if isinstance(frame, SpeechStarted):
            call.waiting_since = None
        elif isinstance(frame, CallerTurn):
            over_playback = self.playback.playing or self.playback.held is not None
            call.spawn(self._caller_turn(frame, over_playback))
        elif (isinstance(frame, CallerAudio) and call.waiting_since is not None and not self.lane.active
              and not self.turns.in_turn and not self._lock.locked()
              and call.audio_clock - call.waiting_since >= self.no_input_s):
            call.waiting_since = None
            call.spawn(self._failed_recognition("no_input"))
        await self.push(frame)

    async def answer(self, text: str) -> None:
        """One bot turn for this text (a key's payload, typed digits, a short answer), after any under way."""
        async with self._lock:
            await self._answer(text)

    async def _caller_turn(self, turn: CallerTurn, over_playback: bool) -> None:
        call, playback = self.call, self.playback
        handoff_before = call.handoff_requested
        started = time.perf_counter()
        async with self._lock:
            text = await self.transcription.transcript(turn)
            asr_ms = (time.perf_counter() - started) * 1000
            if call.handoff_requested and not handoff_before:
                return  # the caller pressed 0 meanwhile: a person is already on the way
            if over_playback and (playback.playing or playback.held is not None) and (
                    turn.ended.voiced_s < call.settings.barge_in_s and (not text or is_backchannel(text))):
                logger.info("phone call %s: backchannel %r ignored", call.sender_id, text)
                playback.resume()
                return
            if not text:
                await self._failed_recognition("no_match", locked=True)
                return
            self.failures = 0
            await playback.interrupt()
            await self._answer(text, started=started, asr_ms=asr_ms)

    async def _failed_recognition(self, kind: str, locked: bool = False) -> None:
        call = self.call
        if self.lane.active:
            return
        self.failures += 1
        logger.info("phone call %s: %s (%d in a row)", call.sender_id, kind, self.failures)
        if self.failures >= self.max_failures:
            self.failures = 0
            await (self._answer(HUMAN_PAYLOAD) if locked else self.answer(HUMAN_PAYLOAD))
        elif kind == "no_input":
            self.playback.speak([(call.language, prompts.text("repeat", call.language))] + self.playback.last_prompt,
                                remember=False)
        else:
            self.playback.speak([(call.language, prompts.text("not_heard", call.language))], remember=False)

    async def _answer(self, text: str, started: Optional[float] = None, asr_ms: float = 0.0) -> None:
        """The bot's turn with the lock held."""
        call = self.call
        started = started or time.perf_counter()
        self.keypad.close_menus()
        rasa_started = time.perf_counter()
        try:
            reply = await call.hooks.bot_turn(call.sender_id, text, dict(call.metadata))
            self.outage.recovered()
        except BotUnavailable:
            reply = await self.outage.reply(text)
        except Exception:
            logger.exception("phone call %s: bot turn failed", call.sender_id)
            reply = BotReply([{"text": prompts.text("not_heard", call.language)}], call.language)
        rasa_ms = (time.perf_counter() - rasa_started) * 1000
        if text == HUMAN_PAYLOAD:
            call.handoff_requested = False
        self.lane.after_bot_turn(reply.handed_off)
        call.language = reply.language or call.language
        segments = self.segments(reply.messages)
        if not segments:
            return
        tts_started = time.perf_counter()
        self.playback.speak(segments)
        await self.playback.first_audio.wait()
        now = time.perf_counter()
        timings = TurnTimings(asr_ms=asr_ms, rasa_ms=rasa_ms, tts_first_byte_ms=(now - tts_started) * 1000,
                              total_ms=(now - started) * 1000, transcript=text)
        self.timings.append(timings)
        logger.info("phone call %s turn: ASR %.0f ms, Rasa %.0f ms, TTS first byte %.0f ms, "
                    "end of speech -> first audio %.0f ms", call.sender_id, timings.asr_ms, timings.rasa_ms,
                    timings.tts_first_byte_ms, timings.total_ms)

    def segments(self, messages: List[dict]) -> List[Segment]:
        """The bot's messages as spoken segments; its buttons become a key menu ("...，请按1")."""
        segments: List[Segment] = []
        language = self.call.language
        for message in messages:
            if message.get("text"):
                segments.append((language, message["text"]))
            buttons = [(b.get("title", ""), b.get("payload", "")) for b in message.get("buttons") or []]
            if buttons:
                options, key_actions = prompts.key_options(buttons, language)
                self.keypad.offer(key_actions)
                segments += options
        return segments
