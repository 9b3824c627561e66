"""Audio in and out of the voice gateway: decode anything a caller sends, convert for phone lines.

Decoding uses PyAV (FFmpeg's libraries, bundled in its wheel; faster-whisper depends on it), so any
container FFmpeg reads works — OGG/Opus from Telegram, WAV, MP3, WebM from browsers — in-process,
without a subprocess per message. Phone audio is G.711 μ-law at 8 kHz (Twilio Media Streams); the
conversion uses the standard library's audioop (exact G.711 tables) and scipy's polyphase resampler.

Every decoding problem is an AudioError whose message is safe to show a caller's client
("empty", "not audio", "too long"), never a stack trace.
"""
from __future__ import annotations

import audioop  # stdlib in Python 3.10 (Rasa's version); exact G.711 μ-law
import io
from fractions import Fraction
from math import gcd

import av
import numpy as np
from scipy.signal import resample_poly

from actions.service.core.settings import get_settings

ASR_RATE = 16000
PHONE_RATE = 8000
# A voice message to a hotline bot is a sentence or two; a long recording (ANXIN_VOICE_MAX_SECONDS) is
# refused before decoding.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024  # 60 s of even 1 Mbit/s audio is < 8 MB


class AudioError(ValueError):
    """Audio the gateway cannot use. `reason` is a short code, str(self) a user-safe sentence."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def resample(audio: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Polyphase resampling (anti-aliased), float32 in and out."""
    audio = np.asarray(audio, dtype=np.float32)
    if source_rate == target_rate or audio.size == 0:
        return audio
    divisor = gcd(source_rate, target_rate)
    return resample_poly(audio, target_rate // divisor, source_rate // divisor).astype(np.float32)


def decode_to_pcm16k(data: bytes, max_seconds: float | None = None) -> np.ndarray:
    """Any container FFmpeg reads -> float32 mono 16 kHz in [-1, 1]. Raises AudioError."""
    return decode_audio(data, ASR_RATE, max_seconds)


def decode_audio(data: bytes, sample_rate: int, max_seconds: float | None = None) -> np.ndarray:
    """Any container FFmpeg reads -> float32 mono at sample_rate. Raises AudioError."""
    limit = get_settings().voice_max_seconds if max_seconds is None else max_seconds
    if not data:
        raise AudioError("empty", "The recording is empty.")
    if len(data) > MAX_MESSAGE_BYTES:
        raise AudioError("too_long", f"The recording is too long (at most {int(limit)} seconds).")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError, OSError) as error:
        raise AudioError("not_audio", "This file is not audio we can play.") from error
    with container:
        streams = container.streams.audio
        if not streams:
            raise AudioError("not_audio", "This file has no sound in it.")
        stream = streams[0]
        # Refuse a long file from its header without decoding it (a 20-minute file costs nothing).
        declared = _declared_seconds(container, stream)
        if declared is not None and declared > limit + 1:
            raise AudioError("too_long", f"The recording is too long (at most {int(limit)} seconds).")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks: list[np.ndarray] = []
        samples = 0
        try:
            for frame in container.decode(stream):
                for converted in resampler.resample(frame):
                    chunk = converted.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    samples += chunk.size
                if samples > (limit + 1) * sample_rate:  # headers can lie or be missing (raw streams)
                    raise AudioError("too_long", f"The recording is too long (at most {int(limit)} seconds).")
            for converted in resampler.resample(None):
                chunks.append(converted.to_ndarray().reshape(-1))
        except (av.FFmpegError, ValueError, OSError) as error:
            if not chunks:
                raise AudioError("corrupt", "The recording is damaged and cannot be played.") from error
            # A truncated upload: keep what decoded cleanly, as a media player would.
    audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if audio.size < sample_rate // 10:
        raise AudioError("empty", "The recording is empty.")
    return np.clip(audio, -1.0, 1.0)


def _declared_seconds(container: "av.container.InputContainer", stream: "av.AudioStream") -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def mulaw8k_to_pcm16k(data: bytes) -> np.ndarray:
    """Phone audio (G.711 μ-law, 8 kHz, as Twilio streams it) -> float32 mono 16 kHz."""
    linear = np.frombuffer(audioop.ulaw2lin(bytes(data), 2), dtype="<i2").astype(np.float32) / 32768.0
    return resample(linear, PHONE_RATE, ASR_RATE)


def to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0) * 32767.0).astype("<i2")


def pcm16k_to_mulaw8k(audio: np.ndarray, sample_rate: int = ASR_RATE) -> bytes:
    """float32 mono (16 kHz unless told) -> G.711 μ-law 8 kHz bytes for a phone line."""
    phone = resample(audio, sample_rate, PHONE_RATE)
    return audioop.lin2ulaw(to_int16(phone).tobytes(), 2)


def mulaw_frames(data: bytes, frame_ms: int = 20) -> list[bytes]:
    """Split μ-law 8 kHz audio into frames (Twilio plays 20 ms = 160-byte frames); last one padded."""
    size = PHONE_RATE * frame_ms // 1000
    silence = b"\xff"  # μ-law zero
    frames = [data[i:i + size] for i in range(0, len(data), size)]
    if frames and len(frames[-1]) < size:
        frames[-1] = frames[-1] + silence * (size - len(frames[-1]))
    return frames


def _encode(audio: np.ndarray, sample_rate: int, container_format: str, codec: str, rate: int,
            bit_rate: int | None = None) -> bytes:
    samples = to_int16(resample(audio, sample_rate, rate))
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        if bit_rate:
            stream.bit_rate = bit_rate
        frame_size = stream.codec_context.frame_size or 960
        for start in range(0, max(len(samples), 1), frame_size):
            chunk = samples[start:start + frame_size]
            if chunk.size == 0:
                break
            if chunk.size < frame_size and codec in ("libopus", "opus"):
                chunk = np.pad(chunk, (0, frame_size - chunk.size))
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def encode_ogg_opus(audio: np.ndarray, sample_rate: int) -> bytes:
    """OGG/Opus (48 kHz, speech bit rate): what Telegram plays as a voice note and browsers play."""
    return _encode(audio, sample_rate, "ogg", "libopus", 48000, bit_rate=32000)


def encode_wav(audio: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV at the given rate (fixtures, debugging, clients without Opus)."""
    import wave
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(to_int16(audio).tobytes())
    return buffer.getvalue()
