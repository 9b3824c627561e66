"""Text to speech for old listeners: edge-tts first, espeak-ng offline, never silence.

edge-tts (Microsoft's neural voices, the design card's package) has a voice per language and
dialect. It needs Microsoft's online service; when that is unreachable the first chunk does not
arrive within ANXIN_TTS_EDGE_TIMEOUT (1.5 s) and a circuit breaker skips edge-tts for ANXIN_TTS_BREAKER_SECONDS, so
later turns do not wait again. The fallback is espeak-ng from Debian:
  - Mandarin as tone-numbered pinyin (pypinyin) read by espeak's `cmn-latn-pinyin` voice, because
    Debian's `cmn` dictionary reads most characters wrongly;
  - Cantonese `yue` (its dictionary reads characters), English `en-us`, Hakka `hak` for romanized
    Hakka (for Chinese characters espeak's Hakka has no dictionary, so Mandarin pinyin is read).
Both speak slower than usual for seniors (ANXIN_TTS_RATE, default -15%).
Synthesized speech is cached on disk by engine + voice + rate + text (var/tts-cache), so fixed
prompts cost nothing after the first time. If no engine can speak, TTSError is raised: the
caller shows the text instead; a reply is never silent audio.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import io
import logging
import os
import re
import subprocess
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from actions.service.core.settings import get_settings
from voice.audio import AudioError, decode_audio, encode_wav

logger = logging.getLogger(__name__)

ESPEAK_WORDS_PER_MINUTE = 165  # espeak's normal speed is 175; Chinese syllables need a little less
EDGE_RATE = 24000

# Product language (zh-Hans / zh-Hant / yue / en) and the customer's stored dialect -> voice.
EDGE_VOICES = {
    "mandarin": "zh-CN-XiaoxiaoNeural",
    "taiwan": "zh-TW-HsiaoChenNeural",
    "cantonese": "zh-HK-HiuMaanNeural",
    "northeastern": "zh-CN-liaoning-XiaobeiNeural",
    "shaanxi": "zh-CN-shaanxi-XiaoniNeural",
    "henan": "zh-CN-henan-YundengNeural",
    "english": "en-US-JennyNeural",
}
HAKKA_VOICE = "espeak-hak"  # no edge-tts voice speaks Hakka: espeak-ng only
# espeak-ng voice for each voice above (and what the fallback reads: pinyin for Mandarin).
ESPEAK_VOICES = {
    "zh-CN": "cmn-latn-pinyin", "zh-TW": "cmn-latn-pinyin",
    "zh-HK": "yue", "espeak-hak": "hak", "en-": "en-us",
}
_DIALECT_WORDS = {
    "cantonese": ("cantonese", "粤", "粵", "广东", "廣東", "yue"),
    "northeastern": ("northeast", "liaoning", "东北", "東北", "辽宁", "遼寧"),
    "shaanxi": ("shaanxi", "陕西", "陝西"),
    "henan": ("henan", "河南"),
    "hakka": ("hakka", "客家", "hak"),
    "taiwan": ("taiwan", "台湾", "臺灣", "台灣"),
}


class TTSError(RuntimeError):
    """No engine could speak the text (show it as text instead)."""


@dataclass(frozen=True)
class Speech:
    audio: np.ndarray  # float32 mono
    sample_rate: int
    engine: str        # "edge-tts" | "espeak-ng"

    @property
    def seconds(self) -> float:
        return len(self.audio) / self.sample_rate


def voice_for(language: str, dialect: str = "") -> str:
    """The voice for a product language (zh-Hans/zh-Hant/yue/en) and a stored dialect ("Henan Mandarin")."""
    if language == "en":
        return EDGE_VOICES["english"]
    lowered = (dialect or "").lower()
    for name, words in _DIALECT_WORDS.items():
        if any(word in lowered for word in words):
            if name == "hakka":
                return HAKKA_VOICE
            return EDGE_VOICES[name]
    if language == "yue":
        return EDGE_VOICES["cantonese"]
    if language == "zh-Hant":
        return EDGE_VOICES["taiwan"]
    return EDGE_VOICES["mandarin"]


def espeak_voice(voice: str) -> str:
    for prefix, espeak in ESPEAK_VOICES.items():
        if voice.startswith(prefix):
            return espeak
    return "en-us"


# --- edge-tts with a circuit breaker -----------------------------------------------------------

class CircuitBreaker:
    """Open after a failure: skip the online engine for `seconds`, then try once again."""

    def __init__(self, seconds: Optional[float] = None) -> None:
        self._seconds = seconds
        self._open_until = 0.0

    @property
    def seconds(self) -> float:
        """The pause after a failure: ANXIN_TTS_BREAKER_SECONDS unless given."""
        return get_settings().tts_breaker_seconds if self._seconds is None else self._seconds

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self) -> None:
        self._open_until = time.monotonic() + self.seconds

    def reset(self) -> None:
        self._open_until = 0.0


edge_breaker = CircuitBreaker()
_edge_pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="edge-tts")


async def _edge_mp3(text: str, voice: str, rate: str) -> bytes:
    import edge_tts

    communicate = edge_tts.Communicate(text, voice, rate=rate)
    chunks = []
    stream = communicate.stream().__aiter__()
    # The first chunk must come fast (that is where an unreachable service shows); the rest may
    # take as long as a long reply needs.
    first = await asyncio.wait_for(stream.__anext__(), timeout=get_settings().tts_edge_timeout)
    for chunk in [first]:
        if chunk["type"] == "audio":
            chunks.append(chunk["data"])
    async for chunk in stream:
        if chunk["type"] == "audio":
            chunks.append(chunk["data"])
    return b"".join(chunks)


def _edge_tts(text: str, voice: str, rate: str) -> Speech:
    # Its own event loop in a worker thread: works from sync code and from inside Sanic's loop.
    future = _edge_pool.submit(asyncio.run, _edge_mp3(text, voice, rate))
    mp3 = future.result(timeout=get_settings().tts_edge_timeout + max(10.0, len(text) / 5))
    if not mp3:
        raise TTSError("edge-tts returned no audio")
    return Speech(decode_audio(mp3, EDGE_RATE, max_seconds=600), EDGE_RATE, "edge-tts")


# --- espeak-ng ---------------------------------------------------------------------------------

_DIGITS = "零一二三四五六七八九"
_HAN = re.compile(r"[\u3400-\u9fff]")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _chinese_numbers(text: str) -> str:
    """Digits -> Chinese words before pinyin (pypinyin leaves digits, espeak would read them in English).

    Long runs and years are read digit by digit (policy and phone numbers, 2026年), amounts as numbers.
    """
    import cn2an

    def spoken(match: re.Match) -> str:
        token = match.group(0).replace(",", "")
        following = text[match.end():match.end() + 1]
        if "." not in token and (len(token) >= 5 or token.startswith("0") and len(token) > 1 or following == "年"):
            return "".join(_DIGITS[int(d)] for d in token)
        if token.endswith(".00"):
            token = token[:-3]
        try:
            return cn2an.an2cn(token, "low")
        except Exception:  # cn2an refuses odd shapes; digit by digit is always understandable
            return "".join(_DIGITS[int(d)] if d.isdigit() else "点" for d in token)

    return _NUMBER.sub(spoken, text)


def mandarin_pinyin(text: str) -> str:
    """Tone-numbered pinyin (wo3 xiang3 ...) with punctuation kept as pauses."""
    from pypinyin import Style, lazy_pinyin

    text = _chinese_numbers(text)
    pieces = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda s: s)
    spoken = " ".join(pieces)
    spoken = re.sub(r"[，、；：]", ", ", spoken)
    spoken = re.sub(r"[。！？]", ". ", spoken)
    return re.sub(r"\s+", " ", spoken).strip()


def _espeak_speed(rate: str) -> int:
    match = re.fullmatch(r"([+-]?\d+)%", rate.strip())
    percent = int(match.group(1)) if match else 0
    return max(80, int(ESPEAK_WORDS_PER_MINUTE * (100 + percent) / 100))


def _espeak(text: str, voice: str, rate: str) -> Speech:
    espeak = espeak_voice(voice)
    if espeak == "hak" and _HAN.search(text):
        # espeak's Hakka reads only romanized Hakka (it says "Chinese letter" for each character) and
        # no library turns characters into Hakka readings: Mandarin, which Hakka elders understand.
        espeak = "cmn-latn-pinyin"
    spoken = mandarin_pinyin(text) if espeak.startswith("cmn") else text
    try:
        result = subprocess.run(["espeak-ng", "-v", espeak, "-s", str(_espeak_speed(rate)),
                                 "--stdout", spoken], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        raise TTSError(f"espeak-ng failed: {error}") from error
    with wave.open(io.BytesIO(result.stdout)) as wav:
        rate_hz = wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    audio = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if audio.size == 0 or float(np.abs(audio).max()) < 1e-3:
        raise TTSError("espeak-ng produced silence")
    return Speech(audio, rate_hz, "espeak-ng")


# --- the disk cache and the public entry point -------------------------------------------------

def cache_dir() -> Path:
    return get_settings().tts_cache


def cache_path(text: str, voice: str, rate: str, engine: str) -> Path:
    key = hashlib.sha256("\x1f".join((engine, voice, rate, text)).encode("utf-8")).hexdigest()
    return cache_dir() / f"{key}.wav"


def _cached(path: Path, engine: str) -> Optional[Speech]:
    try:
        with wave.open(str(path)) as wav:
            rate_hz = wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (OSError, EOFError, wave.Error):
        return None
    return Speech(np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0, rate_hz, engine)


def _store(path: Path, speech: Speech) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{threading.get_ident()}.tmp")
    temporary.write_bytes(encode_wav(speech.audio, speech.sample_rate))
    os.replace(temporary, path)  # readers never see half a file


def synthesize(text: str, voice: str, rate: Optional[str] = None) -> Speech:
    """Speech for text in a voice from voice_for(): edge-tts, else espeak-ng; cached on disk."""
    text = (text or "").strip()
    if not text:
        raise TTSError("nothing to say")
    rate = rate or get_settings().tts_rate  # edge-tts syntax; also scales espeak's speed
    online = not voice.startswith("espeak-")
    if online:
        edge_file = cache_path(text, voice, rate, "edge-tts")
        hit = _cached(edge_file, "edge-tts")
        if hit is not None:
            return hit
        if not edge_breaker.is_open:
            try:
                speech = _edge_tts(text, voice, rate)
                edge_breaker.reset()
                _store(edge_file, speech)
                return speech
            except Exception as error:  # unreachable, timed out, refused: all mean "use espeak now"
                edge_breaker.trip()
                logger.warning("edge-tts unavailable (%s: %s); espeak-ng for %.0f s",
                               type(error).__name__, error, edge_breaker.seconds)
    espeak_file = cache_path(text, voice, rate, "espeak-ng")
    hit = _cached(espeak_file, "espeak-ng")
    if hit is not None:
        return hit
    speech = _espeak(text, voice, rate)
    _store(espeak_file, speech)
    return speech


async def synthesize_async(text: str, voice: str, rate: Optional[str] = None) -> Speech:
    """synthesize() off the event loop (it blocks on the network, a subprocess and the disk)."""
    return await asyncio.to_thread(synthesize, text, voice, rate)


__all__ = ["Speech", "TTSError", "voice_for", "synthesize", "synthesize_async", "AudioError"]
