"""Rasa's REST and socket.io channels with a guard in front of the bot, and the human lane behind it.

The guard answers politely, in the customer's language, instead of passing on what the bot
should never see: a sender who writes faster than a person can (a per-sender token bucket),
an empty or null message (socket.io's null crashes Rasa 3.6's handler), a wall of text, a
message that is not text, an internal intent (`/EXTERNAL_…`), a sender id nobody could have.
In front of the guard each client IP has its own token bucket too (rotating sender ids does not
help), and a REST body that is not a JSON object answers 400 with a polite JSON message.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.formatting import mask_digits_in_text
from actions.service.language import detect_language
from actions.service.core.rate_limits import TokenBucketLimiter, client_ip, client_limiter
from bot.channels.customer_input import clean_metadata, clean_text, is_internal_intent, sender_id_problem
from bot.channels.human_lane import SocketIOLine, relaying
from bot.channels.phrases import BAD_REQUEST, POLITE
from bot.channels.socketio_cluster import share_rooms_across_servers

# The limits themselves are shared with the voice gateway (actions/service/core/rate_limits.py).
__all__ = ["TokenBucketLimiter", "client_ip", "client_limiter", "guard", "check_rest_request"]

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000  # longer texts are cut: nobody types more to a hotline bot

def polite(kind: str, text: Optional[str]) -> str:
    variants = POLITE[kind]
    language = detect_language(text or "")
    if language is None:  # the text does not tell: both languages where the kind has them
        return variants.get(None, variants["zh-Hans"])
    return variants.get(language, variants["zh-Hans"])


def bad_request(problem: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": problem, "message": BAD_REQUEST[problem]}, status=status)


def guard(on_new_message: Callable[[UserMessage], Awaitable[Any]],
          limiter: TokenBucketLimiter) -> Callable[[UserMessage], Awaitable[Any]]:
    async def reply(message: UserMessage, kind: str, text: str) -> None:
        await message.output_channel.send_text_message(message.sender_id, polite(kind, text))

    async def guarded(message: UserMessage) -> None:
        if sender_id_problem(message.sender_id):  # a socket.io session id comes from the client too
            logger.info("refused a message with an unusable sender id (%s)", sender_id_problem(message.sender_id))
            await reply(message, "type_question", "")
            return
        if message.text is not None and not isinstance(message.text, str):  # a number, a list, an object
            await reply(message, "type_question", "")
            return
        text = clean_text(message.text or "")
        if not limiter.allow(str(message.sender_id)):
            logger.info("rate limited sender %s", mask_digits_in_text(str(message.sender_id)))
            await reply(message, "slow_down", text)
            return
        if not text.strip():
            await reply(message, "empty", text)
            return
        if is_internal_intent(text):  # only the Rasa server itself may say the human lane is done
            logger.info("refused an internal intent from sender %s", mask_digits_in_text(str(message.sender_id)))
            await reply(message, "type_question", "")
            return
        message.text = text[:MAX_MESSAGE_CHARS]
        message.metadata = clean_metadata(message.metadata)
        try:
            await on_new_message(message)
        except Exception:  # the customer gets an apology, never a stack trace or silence
            logger.exception("turn failed for sender %s", mask_digits_in_text(str(message.sender_id)))
            await reply(message, "failed", text)

    return guarded


def check_rest_request(request: Request, limiter: TokenBucketLimiter) -> Optional[HTTPResponse]:
    """The answer to a REST webhook call that must not reach the bot, or None to let it through."""
    if not limiter.allow(client_ip(request)):
        return bad_request("slow_down", status=429)
    try:
        body = request.json
    except Exception:  # Sanic refuses malformed JSON with its own error page
        body = None
    if not isinstance(body, dict):
        return bad_request("not_json")
    problem = sender_id_problem(body.get("sender"))
    if problem:
        return bad_request(problem)
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        return bad_request("bad_metadata")
    message = body.get("message")
    if message is not None and not isinstance(message, str):  # a number, a list, an object
        return response.json([{"recipient_id": str(body["sender"]), "text": polite("type_question", None)}])
    return None


class RateLimitedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self) -> None:
        self.limiter = TokenBucketLimiter()
        self.client_limiter = client_limiter()

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()  # the client cannot pass itself off as another channel (Telegram, phone)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(guard(relaying(self.name(), on_new_message), self.limiter))

        @blueprint.middleware("request")
        async def refuse_bad_requests(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
                return None
            return check_rest_request(request, self.client_limiter)

        return blueprint


class LanguageTaggedSocketIOOutput(SocketIOOutput):
    """Each bot message carries the conversation's language (bot/nlg.py tags every response) in
    its metadata, so the web page shows its own labels in that language instead of guessing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._language: Optional[str] = None

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self._language = message.get("language")
        try:
            await super().send_response(recipient_id, message)
        finally:
            self._language = None

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        if self._language and isinstance(response, dict):
            response = {**response, "metadata": {**(response.get("metadata") or {}), "language": self._language}}
        await super()._send_message(socket_id, response)


class RateLimitedSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        sio = getattr(self, "sio", None)
        return LanguageTaggedSocketIOOutput(sio, self.bot_message_evt) if sio is not None else None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limiter = TokenBucketLimiter()
        self.client_limiter = client_limiter()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guarded = guard(relaying(self.name(), on_new_message, SocketIOLine(self)), self.limiter)
        blueprint = super().blueprint(guarded)
        sio = self.sio
        share_rooms_across_servers(sio)

        # Replaces Rasa's handler, which fails (and answers nothing) on data that is not an object
        # or a message that is not text, and has no per-client limit.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:  # an emit may carry no data
            output = LanguageTaggedSocketIOOutput(sio, self.bot_message_evt)
            environ = sio.get_environ(sid, namespace=self.namespace) or {}
            if not self.client_limiter.allow(client_ip(environ.get("sanic.request"))):
                await output.send_text_message(sid, polite("slow_down", None))
                return
            data = data if isinstance(data, dict) else {}
            sender_id = data.get("session_id") if self.session_persistence else sid
            if not sender_id:
                logger.info("socket.io message without a session id ignored (send session_request first)")
                await output.send_text_message(sid, polite("empty", None))
                return
            if sender_id_problem(sender_id):  # the answer goes to this socket: no room has that name
                await output.send_text_message(sid, polite("type_question", None))
                return
            text = data.get("message", "")
            if text is not None and not isinstance(text, str):
                await output.send_text_message(sid, polite("type_question", None))
                return
            await guarded(UserMessage(text, output, sender_id, input_channel=self.name(),
                                      metadata=_metadata(data.get(self.metadata_key))))

        return blueprint


def _metadata(value: Any) -> Dict[str, Any]:
    """socket.io metadata: an object, or a JSON text of one; anything else is none."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}
