"""Voice messages over HTTP, on the voice gateway:

    POST /webhooks/voice/message?sender=ID   body = the audio file, Content-Type: audio/*
         -> 200 {"transcript", "language", "messages": [{"text", "audio_url", ...}], ...}
         -> 4xx {"error", "message", "messages": [...]} for unusable audio, in the caller's language
    GET  /webhooks/voice/audio/<id>          a spoken reply (OGG/Opus), unguessable id, expires
    GET  /webhooks/voice/                    health

The transcript goes to Rasa's gateway connector as a turn of the "voice" channel, where it meets
the REST channel's guard (empty text, a polite apology when a turn fails). The rate limits (per
sender, per client address) are checked here before decoding, because recognition is the
expensive part. Replies are spoken in the conversation's language after the turn (Rasa's
`language` slot, which "讲粤语" / "speak English" set) and the verified customer's stored dialect.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Dict, List, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.core.rate_limits import TokenBucketLimiter, client_limiter
from actions.service.core.settings import get_settings
from actions.service.formatting import mask_digits_in_text
from voice.asr import get_recognizer
from voice.audio import AudioError
from voice.gateway.client_address import client_address
from voice.gateway.protocol import VOICE_MESSAGE
from voice.gateway.rasa_link import RasaLink
from voice.voice_message import answer_voice_message, polite_reply, reply_audio

logger = logging.getLogger(__name__)

AUDIO_TYPES = ("audio/", "video/webm", "video/ogg", "application/ogg", "application/octet-stream")
STATUS_FOR = {"empty": 400, "not_audio": 415, "corrupt": 422, "too_long": 413}
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def voice_message_blueprint(link: RasaLink) -> Blueprint:
    """The voice message routes, each turn through `link`."""
    blueprint = Blueprint("voice_message", url_prefix="/webhooks/voice")
    limiter = TokenBucketLimiter()
    per_client = client_limiter()  # rotating ?sender= does not escape the limit
    if get_settings().voice_preload:
        # Load Whisper while the gateway starts, not during the first caller's turn.
        threading.Thread(target=get_recognizer, name="whisper-preload", daemon=True).start()

    async def handle_text(sender_id: str, text: str, metadata: Optional[Dict[str, Any]]) -> List[Dict]:
        return (await link.turn(sender_id, text, VOICE_MESSAGE, metadata)).get("messages") or []

    @blueprint.route("/", methods=["GET"])
    async def health(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @blueprint.route("/message", methods=["POST"])
    async def message(request: Request) -> HTTPResponse:
        sender_id = (request.args.get("sender") or "").strip()[:128]
        preference = link.preference
        if not sender_id:
            return response.json({"error": "no_sender", "message": "Add ?sender=<conversation id> to the URL."},
                                 status=400, headers=NO_STORE)
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if not content_type.startswith(AUDIO_TYPES):
            return await _refusal("not_audio", sender_id, preference)
        if not limiter.allow(sender_id) or not per_client.allow(client_address(request)):
            return await _refusal("busy", sender_id, preference, status=429)
        try:
            reply = await answer_voice_message(sender_id, request.body or b"", handle_text, preference,
                                               metadata={"content_type": content_type})
        except AudioError as error:
            logger.info("voice message from %s refused: %s", mask_digits_in_text(sender_id), error.reason)
            return await _refusal(error.reason, sender_id, preference)
        except Exception:  # never a stack trace or a 500 to a caller (Rasa down: BotUnavailable)
            logger.exception("voice message from %s failed", mask_digits_in_text(sender_id))
            return await _refusal("failed", sender_id, preference, status=503)
        return response.json(reply.as_json(), headers=NO_STORE)

    @blueprint.route("/audio/<audio_id>", methods=["GET"])
    async def audio(request: Request, audio_id: str) -> HTTPResponse:
        data = reply_audio(audio_id)
        if data is None:
            return response.json({"error": "not_found"}, status=404, headers=NO_STORE)
        return response.raw(data, content_type="audio/ogg", headers=NO_STORE)

    return blueprint


async def _refusal(kind: str, sender_id: str, preference: Callable, status: Optional[int] = None) -> HTTPResponse:
    try:
        language, _dialect = await preference(sender_id)
    except Exception:  # a tracker store hiccup must not turn a polite refusal into a 500
        language = None
    spoken = await polite_reply(kind, language)
    return response.json({"error": kind, "message": spoken["text"], "transcript": "", "language": None,
                          "messages": [spoken]}, status=status or STATUS_FOR.get(kind, 400), headers=NO_STORE)
