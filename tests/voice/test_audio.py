"""Decoding what callers send and converting for phone lines, on real encoded audio."""
import io

import av
import numpy as np
import pytest

from tests.voice.speech import speech_16k
from voice.audio import (AudioError, decode_to_pcm16k, encode_ogg_opus, encode_wav, mulaw8k_to_pcm16k,
                         mulaw_frames, pcm16k_to_mulaw8k)


def encoded(audio: np.ndarray, rate: int, container: str, codec: str) -> bytes:
    """Real files in other containers, written by FFmpeg's encoders (through PyAV)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        samples = (audio * 32767).astype("<i2")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def hello():
    return speech_16k("你好", "zh")


def correlated(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


@pytest.mark.parametrize("rate", [8000, 16000, 44100, 48000])
def test_wav_at_any_rate_becomes_16k_of_the_same_length(hello, rate):
    from voice.audio import resample
    decoded = decode_to_pcm16k(encode_wav(resample(hello, 16000, rate), rate))
    assert decoded.dtype == np.float32
    assert abs(len(decoded) - len(hello)) < 0.02 * 16000
    if rate >= 16000:
        assert correlated(decoded, hello) > 0.9


@pytest.mark.parametrize("container, codec", [("ogg", "libopus"), ("webm", "libopus"), ("ogg", "libvorbis"),
                                              ("mp3", "libmp3lame")])
def test_compressed_containers_decode(hello, container, codec):
    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg build has no {codec} encoder to make the fixture")
    rate = 48000 if codec == "libopus" else 44100
    from voice.audio import resample
    data = encoded(resample(hello, 16000, rate), rate, container, codec)
    decoded = decode_to_pcm16k(data)
    assert abs(len(decoded) - len(hello)) < 0.1 * 16000
    assert np.abs(decoded).max() > 0.1


def test_ogg_opus_round_trip_keeps_the_speech(hello):
    ogg = encode_ogg_opus(hello, 16000)
    assert ogg[:4] == b"OggS" and b"OpusHead" in ogg[:200]
    assert decode_to_pcm16k(ogg).size > 0.9 * hello.size


def test_mulaw_round_trip(hello):
    mulaw = pcm16k_to_mulaw8k(hello)
    assert len(mulaw) == pytest.approx(len(hello) / 2, abs=2)
    back = mulaw8k_to_pcm16k(mulaw)
    assert correlated(back, hello) > 0.9  # telephone band, 8-bit companding: still the same speech


def test_mulaw_frames_are_20_ms():
    frames = mulaw_frames(b"\x00" * 500)
    assert [len(f) for f in frames] == [160, 160, 160, 160]
    assert frames[-1].endswith(b"\xff" * 140)


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"%PDF-1.4 this is not audio at all" * 10, "not_audio"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not_audio"),
])
def test_unusable_audio_is_a_clear_error(data, reason):
    with pytest.raises(AudioError) as error:
        decode_to_pcm16k(data)
    assert error.value.reason == reason
    assert "Traceback" not in str(error.value)


def test_truncated_ogg_keeps_what_decodes(hello):
    ogg = encode_ogg_opus(np.tile(hello, 3), 16000)
    partial = decode_to_pcm16k(ogg[: len(ogg) // 2])
    assert 0 < partial.size < 3 * hello.size


def twenty_minute_wav(rate: int, width: int) -> bytes:
    import wave
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes((b"\x80" if width == 1 else b"\x00\x00") * rate * 60 * 20)
    return buffer.getvalue()


@pytest.mark.parametrize("rate, width", [(8000, 1), (16000, 2)])
def test_twenty_minutes_is_refused_without_decoding_it(rate, width):
    # 8 kHz 8-bit: 9.6 MB, refused by its declared duration; 16 kHz 16-bit: 38 MB, by its size.
    with pytest.raises(AudioError) as error:
        decode_to_pcm16k(twenty_minute_wav(rate, width))
    assert error.value.reason == "too_long"
    assert "60 seconds" in str(error.value)


def test_a_long_opus_file_is_refused():
    with pytest.raises(AudioError) as error:
        decode_to_pcm16k(encode_ogg_opus(np.zeros(16000 * 65, np.float32), 16000))
    assert error.value.reason == "too_long"


def test_silence_only_file_is_decoded_not_refused():
    # Silence is a valid recording: recognition (not decoding) says nobody spoke.
    assert decode_to_pcm16k(encode_wav(np.zeros(16000, np.float32), 16000)).size == 16000
