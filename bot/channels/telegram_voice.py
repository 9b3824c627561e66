"""Voice notes and read-aloud for the Telegram channel, through the voice gateway (no speech in Rasa).

The gateway hears a voice note and speaks answers (voice/gateway/telegram_speech.py, the same rules as
voice messages: Cantonese forced for Cantonese customers, replies in the conversation's language and
the stored dialect); the dialogue stays here. Each answer comes back with `voice_ogg`, the OGG/Opus
bytes the channel sends as a Telegram voice note.
"""
from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import aiohttp

from actions.service.core.settings import get_settings
from bot.channels.gateway_connector import customer_preference
from voice.gateway.protocol import SECRET_HEADER

logger = logging.getLogger(__name__)

HandleText = Any  # (sender_id, text, metadata) -> the bot's messages
HEAR_TIMEOUT_S = 180.0  # a minute of audio through Whisper on a busy machine
SPEAK_TIMEOUT_S = 120.0

__all__ = ["AudioRefused", "VoiceUnavailable", "answer_voice_note", "read_aloud"]


class AudioRefused(Exception):
    """The voice note cannot be used (empty, not audio, too long): `message` says so in the customer's language."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason, self.message = reason, message


class VoiceUnavailable(Exception):
    """The voice gateway could not be reached or failed: the customer is asked to type."""


@dataclass
class VoiceNoteReply:
    messages: List[Dict[str, Any]]  # the bot's messages, each with `voice_ogg` (bytes or None)
    reply_language: str


async def _gateway(path: str, timeout: float, **request: Any) -> Dict[str, Any]:
    settings = get_settings()
    try:
        async with aiohttp.ClientSession(headers={SECRET_HEADER: settings.gateway_secret}) as session:
            async with session.post(settings.voice_gateway_url + path, timeout=aiohttp.ClientTimeout(total=timeout),
                                    **request) as answer:
                body = await answer.json(content_type=None)
                if 400 <= answer.status < 500 and isinstance(body, dict) and body.get("message"):
                    raise AudioRefused(str(body.get("error")), str(body["message"]))
                if answer.status != 200 or not isinstance(body, dict):
                    raise VoiceUnavailable(f"the voice gateway answered {answer.status}")
                return body
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        raise VoiceUnavailable(type(error).__name__) from error


def _speakable(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Only what speech needs: the text and the button titles read as options."""
    return [{"text": m.get("text") or "", "buttons": [{"title": b.get("title", "")} for b in m.get("buttons") or []
                                                      if isinstance(b, dict)]} for m in messages]


def _attach(messages: List[Dict[str, Any]], spoken: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    for message, speech in zip(messages, spoken):
        message["voice_ogg"] = base64.b64decode(speech["voice_ogg"]) if speech.get("voice_ogg") else None
    return messages


async def answer_voice_note(chat_id: str, data: bytes, handle_text: HandleText, agent: Any,
                            metadata: Optional[Dict[str, Any]] = None) -> VoiceNoteReply:
    """Heard by the gateway, answered by the bot here, spoken by the gateway.

    Raises AudioRefused for unusable audio, VoiceUnavailable when the gateway cannot help."""
    language_before, dialect = await customer_preference(agent, chat_id)
    heard = await _gateway("/internal/hear", HEAR_TIMEOUT_S, data=data,
                           params={"sender": chat_id, "language": language_before or "", "dialect": dialect})
    if not heard.get("transcript"):  # nobody heard: the gateway's request to say it again
        return VoiceNoteReply(_attach([{"text": m.get("text", "")} for m in heard.get("messages") or []],
                                      heard.get("messages") or []), heard.get("reply_language") or "zh-Hans")
    messages = await handle_text(chat_id, heard["transcript"],
                                 {**(metadata or {}), "voice": {"asr_language": heard.get("asr_language")}})
    language_after, dialect = await customer_preference(agent, chat_id)
    spoken = await _gateway("/internal/speak", SPEAK_TIMEOUT_S, json={
        "sender": chat_id, "messages": _speakable(messages), "language": language_after, "dialect": dialect,
        "transcript": heard["transcript"], "language_before": language_before})
    return VoiceNoteReply(_attach(messages, spoken.get("messages") or []), spoken.get("reply_language") or "zh-Hans")


async def read_aloud(chat_id: str, messages: List[Dict[str, Any]], language: str, agent: Any) -> List[Dict[str, Any]]:
    """The messages with speech added (elder mode reads every answer aloud); without the gateway, text only."""
    _, dialect = await customer_preference(agent, chat_id)
    try:
        spoken = await _gateway("/internal/speak", SPEAK_TIMEOUT_S, json={
            "sender": chat_id, "messages": _speakable(messages), "language": language, "dialect": dialect})
    except (VoiceUnavailable, AudioRefused) as error:
        logger.error("no read-aloud for chat %s: %s", chat_id, error)
        return messages
    return _attach(messages, spoken.get("messages") or [])
