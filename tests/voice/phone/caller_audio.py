"""A caller's voice for the phone tests: real speech from espeak-ng, as the carrier streams it."""
from __future__ import annotations

import audioop
import io
import subprocess
import wave
from functools import lru_cache

import numpy as np

from voice.audio import pcm16k_to_mulaw8k
from voice.phone.turns import TurnSettings
from voice.tts import mandarin_pinyin

FRAME = 160  # 20 ms of μ-law at 8 kHz
SILENCE = b"\xff"  # μ-law zero
# After the last word a live line goes on sending silence: this much ends any turn, whatever the
# turn model judged (past the elder's allowance in voice/phone/turns.py).
TURN_TAIL_S = TurnSettings().silence_limit_s + 0.4


@lru_cache(maxsize=32)
def spoken_mulaw(text: str, language: str) -> bytes:
    """`text` said by espeak-ng (Mandarin through tone-numbered pinyin), as 8 kHz μ-law."""
    voice, words = ("cmn-latn-pinyin", mandarin_pinyin(text)) if language == "zh" else ("en-us", text)
    wav_bytes = subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "--stdout", words],
                               capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        rate = wav.getframerate()
        audio = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    # espeak pads its output with silence: trim it, so a test's pauses are exactly what it says.
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return pcm16k_to_mulaw8k(audio[loud[0]:loud[-1] + 1], rate)


def silence(seconds: float) -> bytes:
    return SILENCE * int(seconds * 8000)


def noise(seconds: float, level: float = 0.05, seed: int = 7) -> bytes:
    """Line hiss: white noise at `level` of full scale."""
    samples = np.random.default_rng(seed).normal(0, level, int(seconds * 8000)).clip(-1, 1)
    return audioop.lin2ulaw((samples * 32767).astype("<i2").tobytes(), 2)


def frames(mulaw: bytes) -> list:
    return [mulaw[i:i + FRAME].ljust(FRAME, SILENCE) for i in range(0, len(mulaw), FRAME)]
