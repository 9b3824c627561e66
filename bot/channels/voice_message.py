"""Voice messages over HTTP, a Rasa input channel (mounted by credentials.yml):

    POST /webhooks/voice/message?sender=ID   body = the audio file, Content-Type: audio/*
         -> 200 {"transcript", "language", "messages": [{"text", "audio_url", ...}], ...}
         -> 4xx {"error", "message", "messages": [...]} for unusable audio, in the caller's language
    GET  /webhooks/voice/audio/<id>          a spoken reply (OGG/Opus), unguessable id, expires
    GET  /webhooks/voice/                    health

The transcript goes through Rasa exactly like the REST channel's text (the same guard: rate
limit, empty text, a polite apology when a turn fails). The rate limit is checked before
decoding, because recognition is the expensive part. Replies are spoken in the conversation's
language after the turn (Rasa's `language` slot, which "讲粤语" / "speak English" set) and the
verified customer's stored dialect.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.core.settings import get_settings
from actions.service.formatting import mask_digits_in_text
from actions.service.language import in_language
from bot.channels.human_lane import relaying
from bot.channels.phrases import POLITE
from bot.channels.rate_limited import TokenBucketLimiter, client_ip, client_limiter, guard
from voice.asr import get_recognizer
from voice.audio import AudioError
from voice.voice_message import answer_voice_message, polite_reply, reply_audio

logger = logging.getLogger(__name__)

AUDIO_TYPES = ("audio/", "video/webm", "video/ogg", "application/ogg", "application/octet-stream")
STATUS_FOR = {"empty": 400, "not_audio": 415, "corrupt": 422, "too_long": 413}
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class _AlreadyCounted:
    """The guard's limiter for voice: the sender was counted before recognition already."""

    def allow(self, sender: str) -> bool:
        return True


def customer_preference(agent: Any) -> Callable[[str], Awaitable[Tuple[Optional[str], str]]]:
    """(sender) -> (the conversation's language slot, the verified customer's stored dialect)."""

    async def preference(sender_id: str) -> Tuple[Optional[str], str]:
        store = getattr(agent, "tracker_store", None)
        if store is None:
            return None, ""
        tracker = await store.retrieve(sender_id)
        if tracker is None:
            return None, ""
        language = tracker.get_slot("language")
        customer_id = tracker.get_slot("customer_id") if tracker.get_slot("verified") else None
        dialect = await asyncio.to_thread(_stored_dialect, customer_id) if customer_id else ""
        return language, dialect

    return preference


def _stored_dialect(customer_id: Any) -> str:
    from actions.service.customers.profiles import profile_by_id

    customer = profile_by_id(int(customer_id))
    return customer.dialect if customer else ""


class VoiceMessageInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "voice"

    def __init__(self) -> None:
        self.limiter = TokenBucketLimiter()
        self.client_limiter = client_limiter()  # rotating ?sender= does not escape the limit

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("voice_message_webhook", __name__)
        if get_settings().voice_preload:
            # Load Whisper while Rasa starts, not during the first caller's turn.
            threading.Thread(target=get_recognizer, name="whisper-preload", daemon=True).start()
        guarded = guard(relaying(self.name(), on_new_message), _AlreadyCounted())  # paused: words go to the agent

        async def handle_text(sender_id: str, text: str, metadata: Optional[Dict[str, Any]]) -> List[Dict]:
            collector = CollectingOutputChannel()
            await guarded(UserMessage(text, collector, sender_id, input_channel=self.name(), metadata=metadata))
            return collector.messages

        @blueprint.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            sender_id = (request.args.get("sender") or "").strip()[:128]
            preference = customer_preference(getattr(request.app.ctx, "agent", None))
            if not sender_id:
                return response.json({"error": "no_sender", "message": "Add ?sender=<conversation id> to the URL."},
                                     status=400, headers=NO_STORE)
            content_type = (request.content_type or "").split(";")[0].strip().lower()
            if not content_type.startswith(AUDIO_TYPES):
                return await _refusal("not_audio", sender_id, preference)
            if not self.limiter.allow(sender_id) or not self.client_limiter.allow(client_ip(request)):
                return await _refusal("busy", sender_id, preference, status=429)
            try:
                reply = await answer_voice_message(sender_id, request.body or b"", handle_text, preference,
                                                   metadata={"content_type": content_type})
            except AudioError as error:
                logger.info("voice message from %s refused: %s", mask_digits_in_text(sender_id), error.reason)
                return await _refusal(error.reason, sender_id, preference)
            except Exception:  # never a stack trace or a 500 to a caller
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
    # A failed turn apologizes with the chat channels' own words.
    text = in_language(POLITE["failed"], language) if kind == "failed" else ""
    spoken = await polite_reply(kind, language, text=text)
    return response.json({"error": kind, "message": spoken["text"], "transcript": "", "language": None,
                          "messages": [spoken]}, status=status or STATUS_FOR.get(kind, 400), headers=NO_STORE)
