"""Speech for the Telegram channel, which stays in Rasa: hearing a voice note and speaking answers.

Internal, for the Rasa server only (ANXIN_GATEWAY_SECRET in X-Anxin-Gateway-Secret, else 401/403);
never on a customer path. Rasa keeps the dialogue (the Telegram turn, its screens); the gateway only
hears and speaks, with the same rules as voice messages (voice/voice_message.py).

    POST /internal/hear?sender=ID&language=L&dialect=D   body = the voice note
         -> 200 {"transcript", "asr_language", "messages" (the not-heard reply when empty), "reply_language"}
         -> 4xx {"error": reason, "message": in the customer's language}
    POST /internal/speak {"sender", "messages", "language", "dialect", "transcript"?, "language_before"?}
         -> {"messages": [{"voice_ogg": base64 or null}], "reply_language"}
       With a transcript, the answers to that voice note (the reply language as for voice messages);
       without, elder mode's read-aloud in the given language.
"""
from __future__ import annotations

import base64
import logging
from typing import Any, Dict, List, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.core.settings import get_settings
from actions.service.core.shared_secret import secret_matches
from actions.service.formatting import mask_digits_in_text
from voice.audio import AudioError
from voice.gateway.protocol import SECRET_HEADER
from voice.tts import voice_for
from voice.voice_message import (hear, not_heard_reply, phrase, reply_audio, reply_language, spoken_answers,
                                 spoken_messages)

logger = logging.getLogger(__name__)

HEAR, SPEAK = "/internal/hear", "/internal/speak"
STATUS_FOR = {"empty": 400, "not_audio": 415, "corrupt": 422, "too_long": 413}


def _with_ogg(messages: List[Dict[str, Any]]) -> List[Dict[str, Optional[str]]]:
    """Each spoken message's OGG/Opus bytes, inline (a voice note is small), for Telegram's sendVoice."""
    spoken = []
    for message in messages:
        data = reply_audio(message["audio_id"]) if message.get("audio_id") else None
        spoken.append({"text": message.get("text", ""), "voice_ogg": base64.b64encode(data).decode() if data else None})
    return spoken


def telegram_speech_blueprint() -> Blueprint:
    blueprint = Blueprint("telegram_speech")
    secret = get_settings().gateway_secret

    @blueprint.middleware("request")
    async def only_rasa(request: Request) -> Optional[HTTPResponse]:
        if not request.path.startswith("/internal/"):
            return None
        given = request.headers.get(SECRET_HEADER)
        if not given:
            return response.json({"error": "unauthorized"}, status=401)
        if not secret_matches(given, secret):
            logger.warning("refused an internal call with a wrong secret from %s", request.ip)
            return response.json({"error": "forbidden"}, status=403)
        return None

    @blueprint.route(HEAR, methods=["POST"])
    async def hear_note(request: Request) -> HTTPResponse:
        sender = (request.args.get("sender") or "").strip()[:128]
        language = request.args.get("language") or None
        dialect = request.args.get("dialect") or ""
        try:
            transcript, _timings = await hear(sender, request.body or b"", language, dialect)
        except AudioError as error:
            logger.info("voice note from %s refused: %s", mask_digits_in_text(sender), error.reason)
            try:
                text = phrase(error.reason, language)
            except KeyError:
                text = phrase("not_audio", language)
            return response.json({"error": error.reason, "message": text}, status=STATUS_FOR.get(error.reason, 400))
        if not transcript.text:
            reply = await not_heard_reply(sender, transcript, language, dialect)
            return response.json({"transcript": "", "asr_language": transcript.language,
                                  "messages": _with_ogg(reply.messages), "reply_language": reply.reply_language})
        return response.json({"transcript": transcript.text, "asr_language": transcript.language, "messages": [],
                              "reply_language": language})

    @blueprint.route(SPEAK, methods=["POST"])
    async def speak(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        sender, messages = str(body.get("sender") or "")[:128], body.get("messages")
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            return response.json({"error": "bad_request"}, status=400)
        dialect = body.get("dialect") or ""
        if body.get("transcript"):  # the answers to a voice note: spoken as voice messages' are
            language = reply_language(body["transcript"], body.get("language_before"), body.get("language"))
            spoken, _voice = await spoken_answers(sender, messages, language, dialect)
        else:  # elder mode reads every answer aloud, in the conversation's language and the stored dialect
            language = body.get("language") or "zh-Hans"
            spoken = await spoken_messages(messages, language,
                                           voice_for(language, dialect) if dialect else voice_for(language))
        return response.json({"messages": _with_ogg(spoken), "reply_language": language})

    return blueprint
