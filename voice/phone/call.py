"""One phone call: the carrier's messages as frames through small processors, wired here.

The session is fed the carrier's raw messages (through a serializer, so it never knows the
carrier) and answers through `send`. The bot is reached through two hooks the channel provides:
`bot_turn` (one user message through Rasa, like the REST channel) and `set_slots` (caller-ID
prefill and the language key menu). Every finished caller transcript (and key payload) reaches
Rasa in one place, `BotTurn.answer` -> `hooks.bot_turn`; `say(text, language)` speaks any text
into the call (a human agent's reply, say).

A frame passes through, in order (each step in its own module, pushing on what the next needs):

    TurnTaking     caller audio -> turn events; a short pause judged by the smart turn model
    Keypad         keys: 0 a person, 9 repeat, * languages, menu keys, typed digits
    Transcription  Whisper on a paused or ended turn -> EarlyTranscript / CallerTurn
    BargeIn        the caller's voice over the bot: pause, interrupt, or resume after a backchannel
    BotTurn        the caller's words through Rasa, the reply spoken; silence and failures re-prompt
    Playback       TTS into the call, marks the carrier echoes once played

Beside them HumanLane (human_lane.py) is the lane's way in while a person has the call: the
agent's words spoken (`say`), the bot's words when the call is given back (`take_back`). The
session itself only checks the start, looks the caller up, greets, and ends the call.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, List, Optional, Union

from voice.phone import prompts
from voice.phone.barge_in import BargeIn, is_backchannel
from voice.phone.bot_turn import MAX_FAILURES, NO_INPUT_S, BotTurn, TurnTimings
from voice.phone.call_state import BotReply, CallHooks, CallState
from voice.phone.caller import CallerProfile, caller_profile
from voice.phone.frames import CallEnded, CallerAudio, CallStarted, KeyPressed, PlaybackReached
from voice.phone.human_lane import HumanLane
from voice.phone.keypad import Keypad
from voice.phone.pipeline import Pipeline
from voice.phone.playback import LEAD_SILENCE_S, Playback, render_speech, spoken_sentences
from voice.phone.serializer import CallSerializer, MalformedMessage
from voice.phone.transcription import Transcription
from voice.phone.turn_taking import TurnTaking
from voice.phone.turns import TurnSettings

# What the channel and the tests use of a call, wherever it lives now.
__all__ = ["BotReply", "CallHooks", "CallSession", "TurnTimings", "LEAD_SILENCE_S", "is_backchannel",
           "render_speech", "spoken_sentences"]

logger = logging.getLogger(__name__)

MAX_BAD_MESSAGES = 200  # a client sending only garbage is disconnected, not served forever


class CallSession:
    """Wires one call's processors together and owns its lifetime: start, frames in, close."""

    def __init__(self, serializer: CallSerializer, send: Callable[[str], Awaitable[None]], hooks: CallHooks, *,
                 token: Optional[str], settings: Optional[TurnSettings] = None,
                 no_input_s: float = NO_INPUT_S, max_failures: int = MAX_FAILURES) -> None:
        self.serializer = serializer
        self.hooks = hooks
        self.token = token
        self.call = CallState(serializer, send, hooks, settings or TurnSettings())
        self.profile: Optional[CallerProfile] = None
        self.bad_messages = 0
        call = self.call
        self.playback = Playback(call)
        self.turns = TurnTaking(call)
        self.transcription = Transcription(call, self.playback)
        self.keypad = Keypad(call, self.playback, answer=lambda text: self.bot.answer(text))
        self.barge_in = BargeIn(call, self.playback, self.turns, answer=lambda text: self.bot.answer(text))
        self.lane = HumanLane(call, self.playback)
        self.bot = BotTurn(call, self.turns, self.transcription, self.keypad, self.playback, self.lane,
                           no_input_s=no_input_s, max_failures=max_failures)
        self.turns.words_so_far = self.transcription.words_so_far
        self.pipeline = Pipeline([self.turns, self.keypad, self.transcription, self.barge_in, self.bot,
                                  self.playback])

    @property
    def sender_id(self) -> str:
        return self.call.sender_id

    @property
    def closed(self) -> bool:
        return self.call.closed

    @property
    def timings(self) -> List[TurnTimings]:
        return self.bot.timings

    # ---- wire in -------------------------------------------------------------------------
    async def handle(self, raw: Union[str, bytes]) -> bool:
        """One message from the carrier. Returns False when the call is over (or refused)."""
        try:
            event = self.serializer.deserialize(raw)
        except MalformedMessage as error:
            self.bad_messages += 1
            logger.warning("phone call %s: dropped a malformed message (%s)", self.sender_id or "-", error)
            return self.bad_messages < MAX_BAD_MESSAGES
        # Audio and keys before a valid start belong to no call: they are dropped.
        if isinstance(event, CallerAudio):
            if self.turns.started:
                self.call.audio_clock += len(event.mulaw) / 8000
                await self.pipeline.put(event)
        elif isinstance(event, CallStarted):
            return await self._on_start(event)
        elif isinstance(event, KeyPressed):
            if self.turns.started:
                await self.pipeline.put(event)
        elif isinstance(event, PlaybackReached):
            await self.pipeline.put(event)
        elif isinstance(event, CallEnded):
            return False
        return True

    async def _on_start(self, event: CallStarted) -> bool:
        call = self.call
        if self.turns.started:
            logger.warning("phone call %s: a second start message was ignored", call.sender_id)
            return True
        if not self.token or event.parameters.get("token") != self.token:
            logger.warning("phone stream %s refused: missing or wrong token", event.stream_id[:12])
            return False
        if "mulaw" not in event.encoding.lower() or event.sample_rate != 8000:
            logger.warning("phone stream %s refused: media format %s/%s", event.stream_id[:12], event.encoding,
                           event.sample_rate)
            return False
        call.sender_id = event.call_id or event.stream_id
        call.metadata = {"channel": "phone", "caller": event.caller, "call_sid": event.call_id,
                         "stream_sid": event.stream_id}
        await self.turns.start(event.parameters)
        try:
            self.profile = await asyncio.get_running_loop().run_in_executor(None, caller_profile, event.caller)
        except Exception:  # the database being down must not drop the call: greet as an unknown caller
            logger.exception("phone call %s: caller lookup failed", call.sender_id)
        if self.profile is not None:
            call.language, call.dialect = self.profile.bot_language, self.profile.dialect
            try:
                # Prefill: the identity check will only ask for the ID digits.
                await self.hooks.set_slots(call.sender_id, {"phone": self.profile.phone, "language": call.language})
            except Exception:
                logger.exception("phone call %s: could not prefill the caller's number", call.sender_id)
        self.keypad.menu_active = self.profile is None
        logger.info("phone call %s started (known caller: %s, senior: %s, language %s)", call.sender_id,
                    self.profile is not None, bool(self.profile and self.profile.senior), call.language)
        self.playback.speak(prompts.welcome(call.language, self.profile is not None,
                                            bool(self.profile and self.profile.senior)))
        return True

    # ---- the human lane ------------------------------------------------------------------
    def say(self, text: str, language: Optional[str] = None) -> asyncio.Task:
        """Speak any text into the call (after the audio already queued), in the call's language by default."""
        return self.lane.say(text, language)

    def take_back(self, messages: List[dict]) -> None:
        """The agent gave the call back: the bot speaks again (e.g. the rating, on the keypad)."""
        self.lane.take_back(self.bot.segments(messages))

    # ---- lifetime ------------------------------------------------------------------------
    async def close(self) -> None:
        """The caller hung up (or the connection broke): stop everything the call started."""
        self.call.closed = True
        # Only the speaking stops: a turn under way still reaches the bot (a 0 pressed just before
        # hanging up still opens the ticket), it just sends nothing more.
        self.playback.stop()
        if self.call.sender_id:
            logger.info("phone call %s ended after %.1f s of audio, %d turns", self.call.sender_id,
                        self.call.audio_clock, len(self.bot.timings))
