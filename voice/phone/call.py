"""One phone call: turn-taking, ASR, the Rasa turn, spoken replies, barge-in, keys and prompts.

The session is fed the carrier's raw messages (through a serializer, so it never knows the
carrier) and answers through `send`. The bot is reached through two hooks the channel provides:
`bot_turn` (one user message through Rasa, like the REST channel) and `set_slots` (caller-ID
prefill and the language key menu). Every finished caller transcript (and key payload) reaches
Rasa in one place, `_bot_turn` -> `hooks.bot_turn`; `say(text, language)` speaks any text into
the call (a human agent's reply, say).

Barge-in: the caller's voice over the bot pauses it at once (SpeechOnset: `clear` within about
0.2 s of the first sound) and the unheard rest of the prompt is kept. Speech that goes on is an
interruption and the rest is dropped; a short burst that ASR reads as a backchannel (嗯, 对, OK)
or as nothing picks the prompt up again from the sentence that was cut.

Keys: 0 = a person at any moment, 9 = repeat the last prompt, * = language menu (1 普通话,
2 廣東話, 3 English), the keys of a spoken button menu, and other digits typed and ended with #
(or a 3 s pause) are sent to the bot as text — an old caller can key in the ID digits.
Failures: 6 s of silence after a prompt repeats it; the second failed recognition in a row
(silence or speech nobody could transcribe) hands the caller to a person.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Awaitable, Callable, Dict, List, Optional, Set, Tuple, Union

from actions.service.constants import HUMAN_PAYLOAD
from voice.phone import prompts
from voice.phone.caller import CallerProfile, caller_profile
from voice.phone.frames import CallEnded, CallerAudio, CallStarted, KeyPressed, PlaybackReached
from voice.phone.prompts import Segment
from voice.phone.serializer import CallSerializer, MalformedMessage
from voice.phone.smart_turn import judge_pause, smart_turn_model
from voice.phone.turns import (LongSpeech, PauseCheck, SpeechOnset, SpeechStarted, TurnDetector, TurnEnded,
                               TurnPaused, TurnSettings)

logger = logging.getLogger(__name__)

NO_INPUT_S = 6.0  # silence after a prompt before it is repeated
MAX_FAILURES = 2  # failed recognitions in a row before a person takes over
DIGIT_TIMEOUT_S = 3.0  # typed digits are sent after this pause even without #
LEAD_SILENCE_S = 0.4  # a short pause before each prompt, so its first word is not clipped or rushed
FRAME_BYTES = 160  # 20 ms of μ-law at 8 kHz, what Twilio plays per media message
MAX_BAD_MESSAGES = 200  # a client sending only garbage is disconnected, not served forever
# Short acknowledgements an old caller says while listening: they must not stop the bot.
BACKCHANNELS = {"嗯", "嗯嗯", "恩", "对", "對", "对对", "對對", "好", "好的", "是", "是的", "哦", "噢", "啊", "係",
                "系", "ok", "okay", "yes", "yeah", "mhm", "uh huh", "right", "i see"}
_REPEATED_BACKCHANNEL = re.compile("(?:" + "|".join(sorted((w for w in BACKCHANNELS if not w.isascii()), key=len,
                                                             reverse=True)) + ")+")
_URL = re.compile(r"https?://\S+")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n+|(?<=[.])\s+")


@dataclass
class BotReply:
    messages: List[dict]  # Rasa's collected output: {"text", "buttons", ...}
    language: str  # the conversation's language slot after the turn
    handed_off: bool = False  # a person has the call now (the conversation is paused)


@dataclass
class CallHooks:
    """What a call needs from the bot server (the Rasa channel provides these)."""

    bot_turn: Callable[[str, str, dict], Awaitable[BotReply]]  # (sender, text, metadata)
    set_slots: Callable[[str, dict], Awaitable[None]]  # (sender, {slot: value})


@dataclass
class TurnTimings:
    """Per-turn latencies in ms, measured from the moment the caller's turn was judged ended."""

    asr_ms: float = 0.0
    rasa_ms: float = 0.0
    tts_first_byte_ms: float = 0.0
    total_ms: float = 0.0  # end of speech (endpoint) -> first reply audio frame sent
    transcript: str = ""


def is_backchannel(text: str) -> bool:
    """嗯, 对对, OK ...: an acknowledgement, not a request (Whisper often repeats them: 对对对对)."""
    words = re.sub(r"[\s\W_]+", " ", text.lower(), flags=re.UNICODE).strip()
    return words in BACKCHANNELS or bool(words) and all(
        part in BACKCHANNELS or _REPEATED_BACKCHANNEL.fullmatch(part) for part in words.split())


def spoken_sentences(text: str) -> List[str]:
    """Reply text as sentences to synthesize one by one (the first plays sooner); links are not read out."""
    text = _URL.sub("", text).replace("*", "")
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip(" ，,:：")]


def render_speech(text: str, language: str, dialect: str = "") -> bytes:
    """Text -> μ-law 8 kHz through the voice package's TTS (edge-tts, or espeak-ng offline)."""
    from voice.audio import pcm16k_to_mulaw8k
    from voice.tts import synthesize, voice_for

    speech = synthesize(text, voice_for(language, dialect))
    return pcm16k_to_mulaw8k(speech.audio, speech.sample_rate)


def transcribe(audio, language: Optional[str], prefer: Optional[str] = None):
    """Whisper on a caller's turn; `prefer` (the call's language so far) only tips language detection."""
    from voice.asr import get_recognizer

    return get_recognizer().transcribe(audio, language=language, prefer=prefer)


class CallSession:
    def __init__(self, serializer: CallSerializer, send: Callable[[str], Awaitable[None]], hooks: CallHooks, *,
                 token: Optional[str], settings: Optional[TurnSettings] = None,
                 no_input_s: float = NO_INPUT_S, max_failures: int = MAX_FAILURES) -> None:
        self.serializer = serializer
        self._send = send
        self.hooks = hooks
        self.token = token
        self.settings = settings or TurnSettings()
        self.no_input_s = no_input_s
        self.max_failures = max_failures
        self.turns: Optional[TurnDetector] = None
        self.sender_id = ""
        self.metadata: Dict[str, str] = {}
        self.profile: Optional[CallerProfile] = None
        self.language = "zh-Hans"
        self.dialect = ""
        self.audio_clock = 0.0  # seconds of caller audio received: the clock of every call timer
        self.waiting_since: Optional[float] = None  # when the last prompt finished, while we wait for an answer
        self.failures = 0
        self.last_prompt: List[Segment] = []
        self.key_actions: Dict[str, str] = {}
        self.menu_active = False
        self.digits = ""
        self.last_key_at = 0.0
        self.bad_messages = 0
        self.timings: List[TurnTimings] = []
        self.closed = False
        self._speaking: Optional[asyncio.Task] = None
        self._first_audio = asyncio.Event()
        self._outstanding_marks: Set[str] = set()
        self._mark_counter = 0
        self._script: List[Tuple[str, str]] = []  # (language, sentence) of what is being said
        self._mark_index: Dict[str, int] = {}  # our mark name -> its sentence in _script
        self._played = 0  # sentences of _script the carrier has played (their marks came back)
        self._held: Optional[List[Tuple[str, str]]] = None  # paused for caller speech: the unheard rest
        self._turn_lock = asyncio.Lock()
        self._tasks: Set[asyncio.Task] = set()
        self._handoff_requested = False
        self.handed_off = False
        self._early_asr: Optional[tuple] = None  # (voiced_s, future transcript) of the turn so far

    # ---- wire in -------------------------------------------------------------------------
    async def handle(self, raw: Union[str, bytes]) -> bool:
        """One message from the carrier. Returns False when the call is over (or refused)."""
        try:
            event = self.serializer.deserialize(raw)
        except MalformedMessage as error:
            self.bad_messages += 1
            logger.warning("phone call %s: dropped a malformed message (%s)", self.sender_id or "-", error)
            return self.bad_messages < MAX_BAD_MESSAGES
        if isinstance(event, CallerAudio):
            if self.turns is not None:
                await self._on_audio(event.mulaw)
        elif isinstance(event, CallStarted):
            return await self._on_start(event)
        elif isinstance(event, KeyPressed):
            if self.turns is not None:
                await self._on_key(event.digit)
        elif isinstance(event, PlaybackReached):
            self._on_mark(event.name)
        elif isinstance(event, CallEnded):
            return False
        return True

    async def _on_start(self, event: CallStarted) -> bool:
        if self.turns is not None:
            logger.warning("phone call %s: a second start message was ignored", self.sender_id)
            return True
        if not self.token or event.parameters.get("token") != self.token:
            logger.warning("phone stream %s refused: missing or wrong token", event.stream_id[:12])
            return False
        if "mulaw" not in event.encoding.lower() or event.sample_rate != 8000:
            logger.warning("phone stream %s refused: media format %s/%s", event.stream_id[:12], event.encoding,
                           event.sample_rate)
            return False
        self.sender_id = event.call_id or event.stream_id
        self.metadata = {"channel": "phone", "caller": event.caller, "call_sid": event.call_id,
                         "stream_sid": event.stream_id}
        settings = self.settings.with_overrides(event.parameters)
        if settings.smart_turn:
            try:
                await asyncio.get_running_loop().run_in_executor(None, smart_turn_model)
            except Exception:  # no turn model: the fixed silence rule still serves the call
                logger.exception("phone call: the turn model is unavailable, ending turns on silence")
                settings = replace(settings, smart_turn=False)
        self.turns = TurnDetector(settings)
        try:
            self.profile = await asyncio.get_running_loop().run_in_executor(None, caller_profile, event.caller)
        except Exception:  # the database being down must not drop the call: greet as an unknown caller
            logger.exception("phone call %s: caller lookup failed", self.sender_id)
        if self.profile is not None:
            self.language, self.dialect = self.profile.bot_language, self.profile.dialect
            try:
                # Prefill: the identity check will only ask for the ID digits.
                await self.hooks.set_slots(self.sender_id, {"phone": self.profile.phone, "language": self.language})
            except Exception:
                logger.exception("phone call %s: could not prefill the caller's number", self.sender_id)
        self.menu_active = self.profile is None
        logger.info("phone call %s started (known caller: %s, senior: %s, language %s)", self.sender_id,
                    self.profile is not None, bool(self.profile and self.profile.senior), self.language)
        self._speak(prompts.welcome(self.language, self.profile is not None, bool(self.profile and self.profile.senior)))
        return True

    async def _on_audio(self, mulaw: bytes) -> None:
        self.audio_clock += len(mulaw) / 8000
        await self._on_turn_events(self.turns.feed(mulaw))
        if self.digits and self.audio_clock - self.last_key_at >= DIGIT_TIMEOUT_S:
            await self._submit_digits()
        if (self.waiting_since is not None and not self.handed_off and not self.turns.in_turn and not self._turn_lock.locked()
                and self.audio_clock - self.waiting_since >= self.no_input_s):
            self.waiting_since = None
            self._spawn(self._failed_recognition("no_input"))

    async def _on_turn_events(self, events: list) -> None:
        for event in events:
            if isinstance(event, SpeechOnset) and self.playing:
                await self._pause_for_caller()
            elif isinstance(event, SpeechStarted):
                self.waiting_since = None
                self._early_asr = None  # a new turn: an earlier turn's early transcript is not this one's
            elif isinstance(event, LongSpeech) and (self._held is not None or self.playing):
                logger.info("phone call %s: barge-in", self.sender_id)
                self._held = None
                await self.interrupt()
            elif isinstance(event, PauseCheck):
                self._spawn(self._check_pause(event))
            elif isinstance(event, TurnPaused):
                if event.voiced_s < self.settings.min_speech_s and self._held is None:
                    continue  # a cough while nobody was talking: not worth a Whisper pass
                future = self._transcript_so_far(event.voiced_s, event.pcm16k)
                if self._held is not None and event.voiced_s < self.settings.barge_in_s:
                    self._spawn(self._judge_short_burst(event.voiced_s, future))
            elif isinstance(event, TurnEnded):
                early, self._early_asr = self._early_asr, None
                # The early transcript is the turn's if the caller said nothing after that pause.
                ready = early[1] if early is not None and early[0] == event.voiced_s else None
                over_playback = self.playing or self._held is not None
                self._spawn(self._caller_turn(event, over_playback=over_playback, early=ready))

    def _transcript_so_far(self, voiced_s: float, pcm16k: Callable) -> asyncio.Future:
        """Whisper on the turn so far, started once per pause (the turn model's check may have started it)."""
        if self._early_asr is not None and self._early_asr[0] == voiced_s:
            return self._early_asr[1]
        future = asyncio.get_running_loop().run_in_executor(
            None, transcribe, pcm16k(), self._asr_language(voiced_s), self._asr_prefer)
        self._early_asr = (voiced_s, future)
        return future

    async def _check_pause(self, check: PauseCheck) -> None:
        """A short pause: if the turn model and the words so far say the caller is done, answer now."""
        async def words() -> str:
            if self.turns is None or not self.turns.still_paused(check):
                return ""  # the caller went on (or the turn is over): no Whisper pass for a stale pause
            return (await self._transcript_so_far(check.voiced_s, check.pcm16k)).text

        try:
            complete = await judge_pause(check.pcm16k(), words)
        except Exception:  # the silence rule still ends the turn
            logger.exception("phone call %s: the end-of-turn check failed", self.sender_id)
            return
        if complete and self.turns is not None:
            await self._on_turn_events(self.turns.end_now(check))

    async def _on_key(self, digit: str) -> None:
        typed = bool(self.digits) or digit not in (prompts.HUMAN_KEY, prompts.REPEAT_KEY, prompts.MENU_KEY,
                                                    prompts.ENTER_KEY)
        # Typed digits may be ID digits: the log says only that a digit was typed.
        logger.info("phone call %s: key %s", self.sender_id, "(digit)" if typed else digit)
        self.waiting_since = None
        self.turns.reset()
        self._early_asr = None
        self.last_key_at = self.audio_clock
        if digit == prompts.HUMAN_KEY and not self.digits:
            self._handoff_requested = True
            await self.interrupt()
            self._spawn(self._bot_turn(HUMAN_PAYLOAD))
        elif digit == prompts.REPEAT_KEY and not self.digits:
            await self.interrupt()
            self._speak(self.last_prompt)
        elif digit == prompts.MENU_KEY:
            self.digits = ""
            await self.interrupt()
            self.menu_active = True
            self._speak(prompts.language_menu() + [(self.language, prompts.text("human_option", self.language))])
        elif self.menu_active and digit in prompts.LANGUAGE_KEYS and not self.digits:
            await self.interrupt()
            await self._choose_language(prompts.LANGUAGE_KEYS[digit])
        elif digit in self.key_actions and not self.digits:
            await self.interrupt()
            self._spawn(self._bot_turn(self.key_actions[digit]))
        elif digit == prompts.ENTER_KEY:
            await self._submit_digits()
        else:
            await self.interrupt()
            self.digits += digit

    def _on_mark(self, name: str) -> None:
        self._outstanding_marks.discard(name)
        if name in self._mark_index:
            self._played = max(self._played, self._mark_index[name] + 1)
        if not self.playing:
            self.waiting_since = self.audio_clock

    # ---- wire out ------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        """The caller is (or soon will be) hearing us: audio queued at the carrier or being made."""
        return bool(self._outstanding_marks) or (self._speaking is not None and not self._speaking.done())

    async def send(self, message: str) -> None:
        if not self.closed:
            await self._send(message)

    async def interrupt(self) -> None:
        """Stop speaking now: drop what is being synthesized and what the carrier has queued."""
        self._held = None
        if not self.playing:
            return
        if self._speaking is not None and not self._speaking.done():
            self._speaking.cancel()
        self._outstanding_marks.clear()
        self._mark_index = {}  # the carrier echoes the cleared marks: they were not played
        await self.send(self.serializer.clear())

    async def _pause_for_caller(self) -> None:
        """The caller started speaking over us: silence the bot now, keep what they have not heard."""
        unheard = self._script[self._played:]
        await self.interrupt()
        self._held = unheard
        logger.info("phone call %s: paused for the caller (%d sentence(s) kept)", self.sender_id, len(unheard))

    async def _judge_short_burst(self, voiced_s: float, transcript: asyncio.Future) -> None:
        """A short burst paused the bot: a backchannel (or nothing) resumes it, words end the pause."""
        try:
            text = (await transcript).text.strip()
        except Exception:
            logger.exception("phone call %s: speech recognition failed", self.sender_id)
            text = ""
        if self._held is None or self.turns is None:
            return  # a key, a real interruption or the bot's next reply came first
        if self.turns.voiced_s > voiced_s:
            return  # the caller went on speaking: the next pause (or LongSpeech) decides
        if text and not is_backchannel(text):
            self._held = None  # a short answer ("不对"): the turn goes to the bot when it ends
            if voiced_s < self.settings.min_speech_s:
                # Too short to end as a turn (turns.py drops it), yet words: the bot answers them now,
                # or the caller would hear nothing at all.
                await self._bot_turn(text)
            return
        logger.info("phone call %s: backchannel %r, resuming", self.sender_id, text)
        if self.turns.in_turn:
            self.turns.reset()  # the burst was not a turn (a short one ends by itself, unreported)
        self._resume()

    def _resume(self) -> None:
        held, self._held = self._held, None
        if held:
            self._start_speaking(held)

    def say(self, text: str, language: Optional[str] = None) -> asyncio.Task:
        """Speak any text into the call (after the audio already queued), in the call's language by default."""
        return self._speak([(language or self.language, text)], remember=False)

    def _speak(self, segments: List[Segment], remember: bool = True) -> asyncio.Task:
        if remember and segments:
            self.last_prompt = list(segments)
        return self._start_speaking([(language, sentence) for language, text in segments
                                     for sentence in spoken_sentences(text)])

    def _start_speaking(self, script: List[Tuple[str, str]]) -> asyncio.Task:
        if self._speaking is not None and not self._speaking.done():
            self._speaking.cancel()
        self._held = None
        self._script, self._mark_index, self._played = script, {}, 0
        self._first_audio = asyncio.Event()
        self.waiting_since = None
        self._speaking = self._spawn(self._play(script, self._first_audio))
        return self._speaking

    async def _play(self, script: List[Tuple[str, str]], first_audio: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        lead = b"\xff" * int(LEAD_SILENCE_S * 8000)  # μ-law silence
        try:
            for index, (language, sentence) in enumerate(script):
                try:
                    mulaw = await loop.run_in_executor(None, render_speech, sentence, language, self.dialect)
                except Exception:  # one unspeakable sentence must not silence the rest
                    logger.exception("phone call %s: could not synthesize a sentence", self.sender_id)
                    continue
                mulaw, lead = lead + mulaw, b""
                for start in range(0, len(mulaw), FRAME_BYTES):
                    frame = mulaw[start:start + FRAME_BYTES]
                    await self.send(self.serializer.audio(frame.ljust(FRAME_BYTES, b"\xff")))
                    first_audio.set()
                self._mark_counter += 1
                name = f"say-{self._mark_counter}"
                self._outstanding_marks.add(name)
                self._mark_index[name] = index
                await self.send(self.serializer.mark(name))
        finally:
            first_audio.set()
            if not self._outstanding_marks and asyncio.current_task() is self._speaking:
                self.waiting_since = self.audio_clock

    # ---- turns ---------------------------------------------------------------------------
    def _asr_language(self, voiced_s: float) -> Optional[str]:
        """The language to force on Whisper, or None to let it detect (limited to zh/yue/en).

        Cantonese is always forced (Whisper base reports it as zh). A burst shorter than barge_in_s
        (嗯, 好的, OK) is too short for language identification (base hears "好的" as "I'll go"),
        and too short to be a request to switch language: it is read in the call's language.
        """
        if self.language == "yue":
            return "yue"
        if voiced_s < self.settings.barge_in_s:
            return "en" if self.language == "en" else "zh"
        return None

    @property
    def _asr_prefer(self) -> str:
        return "en" if self.language == "en" else "zh"

    async def _caller_turn(self, ended: TurnEnded, over_playback: bool, early: Optional[asyncio.Future] = None) -> None:
        handoff_before = self._handoff_requested
        started = time.perf_counter()
        async with self._turn_lock:
            try:
                result = await (early or asyncio.get_running_loop().run_in_executor(
                    None, transcribe, ended.pcm16k(), self._asr_language(ended.voiced_s), self._asr_prefer))
                text = result.text.strip()
            except Exception:
                logger.exception("phone call %s: speech recognition failed", self.sender_id)
                text = ""
            asr_ms = (time.perf_counter() - started) * 1000
            if self._handoff_requested and not handoff_before:
                return  # the caller pressed 0 meanwhile: a person is already on the way
            if over_playback and (self.playing or self._held is not None) and (
                    ended.voiced_s < self.settings.barge_in_s and (not text or is_backchannel(text))):
                logger.info("phone call %s: backchannel %r ignored", self.sender_id, text)
                self._resume()
                return
            if not text:
                await self._failed_recognition("no_match", locked=True)
                return
            self.failures = 0
            await self.interrupt()
            await self._bot_turn(text, started=started, asr_ms=asr_ms, locked=True)

    async def _failed_recognition(self, kind: str, locked: bool = False) -> None:
        if self.handed_off:
            return
        self.failures += 1
        logger.info("phone call %s: %s (%d in a row)", self.sender_id, kind, self.failures)
        if self.failures >= self.max_failures:
            self.failures = 0
            await self._bot_turn(HUMAN_PAYLOAD, locked=locked)
        elif kind == "no_input":
            self._speak([(self.language, prompts.text("repeat", self.language))] + self.last_prompt, remember=False)
        else:
            self._speak([(self.language, prompts.text("not_heard", self.language))], remember=False)

    async def _submit_digits(self) -> None:
        digits, self.digits = self.digits, ""
        if digits:
            self._spawn(self._bot_turn(digits))

    async def _choose_language(self, language: str) -> None:
        self.menu_active = False
        self.language = language
        try:
            await self.hooks.set_slots(self.sender_id, {"language": language})
        except Exception:
            logger.exception("phone call %s: could not store the language", self.sender_id)
        self._speak([(language, prompts.text("language_chosen", language))])

    async def _bot_turn(self, text: str, started: Optional[float] = None, asr_ms: float = 0.0,
                        locked: bool = False) -> None:
        if not locked:
            async with self._turn_lock:
                return await self._bot_turn(text, started, asr_ms, locked=True)
        started = started or time.perf_counter()
        self.menu_active = False
        self.key_actions = {}
        rasa_started = time.perf_counter()
        try:
            reply = await self.hooks.bot_turn(self.sender_id, text, dict(self.metadata))
        except Exception:
            logger.exception("phone call %s: bot turn failed", self.sender_id)
            reply = BotReply([{"text": prompts.text("not_heard", self.language)}], self.language)
        rasa_ms = (time.perf_counter() - rasa_started) * 1000
        if text == HUMAN_PAYLOAD:
            self._handoff_requested = False
        if reply.handed_off and not self.handed_off:
            logger.info("phone call %s handed to a person", self.sender_id)
        # While a person has the call (the conversation is paused) the caller's words go to the agent's
        # console and the agent's replies are spoken by `say`: no repeat prompts, no second handoff.
        self.handed_off = reply.handed_off
        self.language = reply.language or self.language
        segments = self._bot_segments(reply.messages)
        if not segments:
            return
        tts_started = time.perf_counter()
        self._speak(segments)
        await self._first_audio.wait()
        now = time.perf_counter()
        timings = TurnTimings(asr_ms=asr_ms, rasa_ms=rasa_ms, tts_first_byte_ms=(now - tts_started) * 1000,
                              total_ms=(now - started) * 1000, transcript=text)
        self.timings.append(timings)
        logger.info("phone call %s turn: ASR %.0f ms, Rasa %.0f ms, TTS first byte %.0f ms, "
                    "end of speech -> first audio %.0f ms", self.sender_id, timings.asr_ms, timings.rasa_ms,
                    timings.tts_first_byte_ms, timings.total_ms)

    def _bot_segments(self, messages: List[dict]) -> List[Segment]:
        """The bot's messages as spoken segments; its buttons become a key menu ("...，请按1")."""
        segments: List[Segment] = []
        for message in messages:
            if message.get("text"):
                segments.append((self.language, message["text"]))
            buttons = [(b.get("title", ""), b.get("payload", "")) for b in message.get("buttons") or []]
            if buttons:
                options, self.key_actions = prompts.key_options(buttons, self.language)
                segments += options
        return segments

    def take_back(self, messages: List[dict]) -> None:
        """The agent gave the call back: the bot speaks again (e.g. the rating, on the keypad)."""
        self.handed_off = False
        segments = self._bot_segments(messages)
        if segments:
            self._speak(segments)

    # ---- lifetime ------------------------------------------------------------------------
    def _spawn(self, coroutine: Awaitable) -> asyncio.Task:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("phone call %s: task failed", self.sender_id, exc_info=task.exception())

    async def close(self) -> None:
        """The caller hung up (or the connection broke): stop everything the call started."""
        self.closed = True
        # Only the speaking stops: a turn under way still reaches the bot (a 0 pressed just before
        # hanging up still opens the ticket), it just sends nothing more.
        if self._speaking is not None:
            self._speaking.cancel()
        if self.sender_id:
            logger.info("phone call %s ended after %.1f s of audio, %d turns", self.sender_id, self.audio_clock,
                        len(self.timings))
