"""Voice notes for the Telegram channel, on the voice package (voice/voice_message.py).

The voice package does the work the HTTP voice channel also uses: decode, Whisper (Cantonese forced
for Cantonese customers), the turn, speech in the customer's language and stored dialect. This
module only adapts it: a voice note in, the bot's messages out with an `audio_id` each, whose
OGG/Opus bytes the channel sends as Telegram voice notes.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from bot.channels.voice_message import customer_preference
from voice.audio import AudioError
from voice.tts import voice_for
from voice.voice_message import HandleText, VoiceReply, answer_voice_message, phrase, reply_audio, spoken_messages

logger = logging.getLogger(__name__)

__all__ = ["AudioError", "answer_voice_note", "audio_error_text", "read_aloud", "voice_note_bytes"]


async def answer_voice_note(chat_id: str, data: bytes, handle_text: HandleText, agent: Any,
                            metadata: Optional[Dict[str, Any]] = None) -> VoiceReply:
    """Transcribe, let the bot answer, speak each answer. Raises AudioError for unusable audio."""
    return await answer_voice_message(chat_id, data, handle_text, customer_preference(agent), metadata)


async def read_aloud(chat_id: str, messages: List[Dict[str, Any]], language: str, agent: Any) -> List[Dict[str, Any]]:
    """The messages with speech added (elder mode reads every answer aloud)."""
    _, dialect = await customer_preference(agent)(chat_id)
    return await spoken_messages(messages, language, voice_for(language, dialect) if dialect else voice_for(language))


def voice_note_bytes(message: Dict[str, Any]) -> Optional[bytes]:
    audio_id = message.get("audio_id")
    return reply_audio(audio_id) if audio_id else None


def audio_error_text(error: AudioError, language: str) -> str:
    """What to tell the customer about audio that could not be used, in their language."""
    try:
        return phrase(error.reason, language)
    except KeyError:
        return phrase("not_audio", language)
