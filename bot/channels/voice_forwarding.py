"""The voice paths, forwarded from the Rasa server to the voice gateway (`make run` has no balancer).

Customers keep the ports and paths they always used; behind them the voice gateway (python -m
voice.gateway) hears and speaks. Only these paths go, only to ANXIN_VOICE_GATEWAY_URL (the forwarder
is not an open proxy):

    /webhooks/phone/, POST /webhooks/phone/twiml, WS /webhooks/phone/stream   (PhoneForwarding)
    /webhooks/voice/, POST /webhooks/voice/message, /webhooks/voice/audio/<id>  (VoiceMessageForwarding)
    POST /webhooks/webchat/speak                                              (bot/pages/webchat.py)

The gateway is told the public host and scheme (X-Forwarded-Host/Proto: Twilio signs the URL it
called) and the client's address (for its per-client limits; believed only with the shared secret
beside it). A stream is opened to the gateway before the caller's WebSocket is upgraded, so a
refused handshake (a wrong Twilio signature) is refused here too, before any upgrade.

When the gateway is down the text channels do not notice; a voice message is answered 503 with a
polite JSON message in the customer's language, read-aloud with its usual "no_voice" refusal, a
call's handshake with 503. In a cluster HAProxy routes these paths straight to the gateways.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import aiohttp
import websockets
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

from actions.service.core.rate_limits import client_ip
from actions.service.core.settings import get_settings
from actions.service.language import in_language
from bot.channels.gateway_connector import customer_preference
from voice.gateway.protocol import CLIENT_HEADER, SECRET_HEADER
from voice.phrases import VOICE_UNAVAILABLE

logger = logging.getLogger(__name__)

# What a customer's request may tell the gateway, and what its answer may tell the customer.
REQUEST_HEADERS = ("Content-Type", "X-Twilio-Signature", "Accept", "User-Agent")
ANSWER_HEADERS = ("Cache-Control", "X-Content-Type-Options", "Referrer-Policy", "Location")
TIMEOUT_S = 180.0  # a long voice message on a busy machine: decode, Whisper, the turn, speech
CONNECT_TIMEOUT_S = 5.0
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class GatewayDown(Exception):
    """The voice gateway could not be reached (or answered 502/503/504 as a balancer does for it)."""


class StreamRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"the gateway refused the stream: {status}")
        self.status = status


class GatewayForwarder:
    """Forwards one customer request (or one call's stream) to the gateway at `gateway_url`."""

    def __init__(self, gateway_url: str, secret: str) -> None:
        self.gateway_url = gateway_url.rstrip("/")
        self.secret = secret
        self._session: Optional[aiohttp.ClientSession] = None

    def headers(self, request: Request) -> Dict[str, str]:
        headers = {name: request.headers[name] for name in REQUEST_HEADERS if name in request.headers}
        forwarded_for = request.headers.get("X-Forwarded-For", "")
        headers.update({
            "X-Forwarded-For": f"{forwarded_for}, {request.ip}" if forwarded_for else (request.ip or ""),
            "X-Forwarded-Host": request.headers.get("X-Forwarded-Host", request.host),
            "X-Forwarded-Proto": request.headers.get("X-Forwarded-Proto", request.scheme),
            CLIENT_HEADER: client_ip(request),
            SECRET_HEADER: self.secret,
        })
        return headers

    def _target(self, request: Request, websocket: bool = False) -> str:
        base = self.gateway_url
        if websocket:
            base = base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        return base + request.path + (f"?{request.query_string}" if request.query_string else "")

    async def http(self, request: Request) -> HTTPResponse:
        """The gateway's answer to this request, or GatewayDown."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.request(
                    request.method, self._target(request), data=request.body or None, headers=self.headers(request),
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=TIMEOUT_S, connect=CONNECT_TIMEOUT_S)) as answer:
                if answer.status in (502, 503, 504) and answer.content_type != "application/json":
                    raise GatewayDown(f"the gateway answered {answer.status}")
                body = await answer.read()
                headers = {name: answer.headers[name] for name in ANSWER_HEADERS if name in answer.headers}
                return response.raw(body, status=answer.status, headers=headers,
                                    content_type=answer.headers.get("Content-Type", "application/octet-stream"))
        except (aiohttp.ClientConnectionError, asyncio.TimeoutError) as error:
            raise GatewayDown(type(error).__name__) from error

    async def open_stream(self, request: Request) -> Any:
        """A WebSocket to the gateway for this call; StreamRefused with its status, or GatewayDown."""
        try:
            return await websockets.connect(self._target(request, websocket=True), extra_headers=self.headers(request),
                                            max_size=None, open_timeout=CONNECT_TIMEOUT_S)
        except InvalidStatusCode as error:
            raise StreamRefused(error.status_code) from error
        except (OSError, asyncio.TimeoutError) as error:
            raise GatewayDown(type(error).__name__) from error

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


_FORWARDER: Dict[str, GatewayForwarder] = {}


def forwarder() -> GatewayForwarder:
    """The server's one forwarder (one connection pool), made on first use."""
    if "it" not in _FORWARDER:
        settings = get_settings()
        _FORWARDER["it"] = GatewayForwarder(settings.voice_gateway_url, settings.gateway_secret)
    return _FORWARDER["it"]


async def _pump(receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]) -> None:
    while True:
        message = await receive()
        if message is not None:
            await send(message)


class PhoneForwarding(InputChannel):
    """The phone's paths on the Rasa server, forwarded to the gateway (the call lives there)."""

    @classmethod
    def name(cls) -> Text:
        return "phone"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        phone = Blueprint("custom_webhook_PhoneForwarding", __name__)

        @phone.middleware("request")
        async def open_the_stream_first(request: Request) -> Optional[HTTPResponse]:
            """The gateway checks the handshake (signature); its refusal is ours, before the upgrade."""
            if not request.path.rstrip("/").endswith("/stream"):
                return None
            try:
                request.ctx.upstream = await forwarder().open_stream(request)
            except StreamRefused as refused:
                return response.text("Forbidden" if refused.status == 403 else "Refused", status=refused.status)
            except GatewayDown as error:
                logger.error("phone stream refused: the voice gateway is down (%s)", error)
                return response.text("Voice gateway unavailable", status=503)
            return None

        @phone.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return await _forward_or(request, lambda: response.json({"status": "unavailable"}, status=503))

        @phone.route("/twiml", methods=["POST"])
        async def twiml(request: Request) -> HTTPResponse:
            return await _forward_or(request, lambda: response.text("Voice gateway unavailable", status=503))

        @phone.websocket("/stream")
        async def stream(request: Request, ws: Any) -> None:
            upstream = request.ctx.upstream
            pumps = [asyncio.ensure_future(_pump(ws.recv, upstream.send)),
                     asyncio.ensure_future(_pump(upstream.recv, ws.send))]
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in pumps:
                    pump.cancel()
                for pump in pumps:
                    if not pump.cancelled() and pump.done() and not isinstance(pump.exception(), ConnectionClosed):
                        logger.warning("phone stream relay ended: %r", pump.exception())
                await upstream.close()

        return phone


class VoiceMessageForwarding(InputChannel):
    """Voice messages and their reply audio on the Rasa server, forwarded to the gateway."""

    @classmethod
    def name(cls) -> Text:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        voice = Blueprint("voice_message_webhook", __name__)

        @voice.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return await _forward_or(request, lambda: response.json({"status": "unavailable"}, status=503))

        @voice.route("/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            try:
                return await forwarder().http(request)
            except GatewayDown as error:
                logger.error("voice message refused: the voice gateway is down (%s)", error)
                return await _voice_unavailable(request)

        @voice.route("/audio/<audio_id>", methods=["GET"])
        async def audio(request: Request, audio_id: str) -> HTTPResponse:
            return await _forward_or(request, lambda: response.json({"error": "unavailable"}, status=503,
                                                                    headers=NO_STORE))

        @voice.listener("before_server_stop")
        async def close_connections(_app: Any, _loop: Any) -> None:
            if "it" in _FORWARDER:
                await _FORWARDER.pop("it").close()

        return voice


async def _forward_or(request: Request, otherwise: Callable[[], HTTPResponse]) -> HTTPResponse:
    try:
        return await forwarder().http(request)
    except GatewayDown as error:
        logger.error("%s: the voice gateway is down (%s)", request.path, error)
        return otherwise()


async def _voice_unavailable(request: Request) -> HTTPResponse:
    """503 with a polite message in the customer's language (their conversation's language slot)."""
    sender = (request.args.get("sender") or "").strip()[:128]
    language = None
    if sender:
        try:
            language, _dialect = await customer_preference(getattr(request.app.ctx, "agent", None), sender)
        except Exception:  # a tracker store hiccup must not turn a polite refusal into a 500
            language = None
    text = in_language(VOICE_UNAVAILABLE, language)
    return response.json({"error": "unavailable", "message": text, "transcript": "", "language": None,
                          "messages": [{"text": text, "audio_url": None}]}, status=503, headers=NO_STORE)
