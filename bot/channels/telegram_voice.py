"""Voice notes for the Telegram channel, on the voice package's public API (voice/asr.py, audio.py, tts.py).

Both functions block (decoding, Whisper, synthesis): the channel runs them in a worker thread.
The voice package is imported on first use, so text chat works even where it is not installed.
"""
from __future__ import annotations

from typing import Optional, Tuple

# The product language -> the language Whisper is told to expect (None = let it detect).
ASR_LANGUAGE_HINT = {"yue": "yue"}


class VoiceUnavailable(RuntimeError):
    """The voice package (or its model) cannot run here: the customer is asked to type."""


class UnclearVoice(ValueError):
    """The audio could not be decoded, or held no speech."""


def transcribe_voice_note(data: bytes, language: Optional[str]) -> Tuple[str, str]:
    """(text, Whisper's language: zh | yue | en) of an OGG/Opus voice note."""
    try:
        from voice.asr import get_recognizer
        from voice.audio import AudioError, decode_to_pcm16k
    except ImportError as error:
        raise VoiceUnavailable(str(error)) from error
    try:
        audio = decode_to_pcm16k(data)
    except AudioError as error:
        raise UnclearVoice(str(error)) from error
    transcript = get_recognizer().transcribe(audio, language=ASR_LANGUAGE_HINT.get(language or ""))
    if not transcript.text.strip():
        raise UnclearVoice("no speech")
    return transcript.text.strip(), transcript.language


def speak_ogg(text: str, language: str) -> Optional[bytes]:
    """The text read out in the customer's language/dialect, as a Telegram voice note (OGG/Opus)."""
    try:
        from voice.audio import encode_ogg_opus
        from voice.tts import synthesize, voice_for
    except ImportError:
        return None
    speech = synthesize(text, voice_for(language))
    return encode_ogg_opus(speech.audio, speech.sample_rate)
