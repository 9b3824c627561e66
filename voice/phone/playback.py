"""Speaks into the call: sentence by sentence through TTS, each followed by a mark the carrier echoes once played."""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Dict, List, Optional, Set, Tuple

from voice.phone.call_state import CallState
from voice.phone.frames import PlaybackReached
from voice.phone.pipeline import FrameProcessor
from voice.phone.prompts import Segment

logger = logging.getLogger(__name__)

LEAD_SILENCE_S = 0.4  # a short pause before each prompt, so its first word is not clipped or rushed
FRAME_BYTES = 160  # 20 ms of μ-law at 8 kHz, what Twilio plays per media message
_URL = re.compile(r"https?://\S+")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n+|(?<=[.])\s+")


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


class Playback(FrameProcessor):
    """Plays prompts and replies, knows how far the caller has heard, pauses and resumes for barge-in."""

    def __init__(self, call: CallState) -> None:
        super().__init__()
        self.call = call
        self.last_prompt: List[Segment] = []
        self.first_audio = asyncio.Event()
        self._speaking: Optional[asyncio.Task] = None
        self._outstanding_marks: Set[str] = set()
        self._mark_counter = 0
        self._script: List[Tuple[str, str]] = []  # (language, sentence) of what is being said
        self._mark_index: Dict[str, int] = {}  # our mark name -> its sentence in _script
        self._played = 0  # sentences of _script the carrier has played (their marks came back)
        self.held: Optional[List[Tuple[str, str]]] = None  # paused for caller speech: the unheard rest

    async def process(self, frame: object) -> None:
        if isinstance(frame, PlaybackReached):
            self._on_mark(frame.name)
        await self.push(frame)

    def _on_mark(self, name: str) -> None:
        self._outstanding_marks.discard(name)
        if name in self._mark_index:
            self._played = max(self._played, self._mark_index[name] + 1)
        if not self.playing:
            self.call.waiting_since = self.call.audio_clock

    @property
    def playing(self) -> bool:
        """The caller is (or soon will be) hearing us: audio queued at the carrier or being made."""
        return bool(self._outstanding_marks) or (self._speaking is not None and not self._speaking.done())

    async def interrupt(self) -> None:
        """Stop speaking now: drop what is being synthesized and what the carrier has queued."""
        self.held = None
        if not self.playing:
            return
        if self._speaking is not None and not self._speaking.done():
            self._speaking.cancel()
        self._outstanding_marks.clear()
        self._mark_index = {}  # the carrier echoes the cleared marks: they were not played
        await self.call.send(self.call.serializer.clear())

    async def pause(self) -> int:
        """Silence the bot now, keep what the caller has not heard; returns the sentences kept."""
        unheard = self._script[self._played:]
        await self.interrupt()
        self.held = unheard
        return len(unheard)

    def resume(self) -> None:
        """Say the unheard rest of a paused prompt, from the sentence that was cut."""
        held, self.held = self.held, None
        if held:
            self._start_speaking(held)

    def speak(self, segments: List[Segment], remember: bool = True) -> asyncio.Task:
        """Say these (language, text) segments; remembered ones are what key 9 and a no-input repeat."""
        if remember and segments:
            self.last_prompt = list(segments)
        return self._start_speaking([(language, sentence) for language, text in segments
                                     for sentence in spoken_sentences(text)])

    def stop(self) -> None:
        """The call is over: stop synthesizing."""
        if self._speaking is not None:
            self._speaking.cancel()

    def _start_speaking(self, script: List[Tuple[str, str]]) -> asyncio.Task:
        if self._speaking is not None and not self._speaking.done():
            self._speaking.cancel()
        self.held = None
        self._script, self._mark_index, self._played = script, {}, 0
        self.first_audio = asyncio.Event()
        self.call.waiting_since = None
        self._speaking = self.call.spawn(self._play(script, self.first_audio))
        return self._speaking

    async def _play(self, script: List[Tuple[str, str]], first_audio: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        call = self.call
        lead = b"\xff" * int(LEAD_SILENCE_S * 8000)  # μ-law silence
        try:
            for index, (language, sentence) in enumerate(script):
                try:
                    mulaw = await loop.run_in_executor(None, render_speech, sentence, language, call.dialect)
                except Exception:  # one unspeakable sentence must not silence the rest
                    logger.exception("phone call %s: could not synthesize a sentence", call.sender_id)
                    continue
                mulaw, lead = lead + mulaw, b""
                for start in range(0, len(mulaw), FRAME_BYTES):
                    frame = mulaw[start:start + FRAME_BYTES]
                    await call.send(call.serializer.audio(frame.ljust(FRAME_BYTES, b"\xff")))
                    first_audio.set()
                self._mark_counter += 1
                name = f"say-{self._mark_counter}"
                self._outstanding_marks.add(name)
                self._mark_index[name] = index
                await call.send(call.serializer.mark(name))
        finally:
            first_audio.set()
            if not self._outstanding_marks and asyncio.current_task() is self._speaking:
                call.waiting_since = call.audio_clock
