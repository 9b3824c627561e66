"""Real speech for the voice tests: espeak-ng reads the text (Mandarin as tone-numbered pinyin)."""
from __future__ import annotations

import io
import subprocess
import wave
from functools import lru_cache

import numpy as np

from voice.audio import encode_wav, resample
from voice.tts import mandarin_pinyin

ESPEAK = {"zh": "cmn-latn-pinyin", "yue": "yue", "en": "en-us"}


@lru_cache(maxsize=64)
def spoken(text: str, language: str, speed: int = 130) -> tuple:
    """(float32 mono audio, sample rate) of espeak-ng saying `text`, its silent padding trimmed."""
    words = mandarin_pinyin(text) if language == "zh" else text
    wav_bytes = subprocess.run(["espeak-ng", "-v", ESPEAK[language], "-s", str(speed), "--stdout", words],
                               capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        rate = wav.getframerate()
        audio = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[loud[0]:loud[-1] + 1], rate


def speech_16k(text: str, language: str) -> np.ndarray:
    """The utterance at 16 kHz with half a second of silence each side, as a microphone records it."""
    audio, rate = spoken(text, language)
    pause = np.zeros(8000, np.float32)
    return np.concatenate([pause, resample(audio, rate, 16000), pause])


def speech_wav(text: str, language: str, rate: int = 16000) -> bytes:
    return encode_wav(resample(speech_16k(text, language), 16000, rate), rate)


def noise(seconds: float, level: float = 0.03, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, level, int(seconds * 16000)).astype(np.float32)
