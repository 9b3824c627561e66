"""Phone calls: a WebSocket on the Rasa server speaking Twilio Media Streams.

    GET  /webhooks/phone/           health
    POST /webhooks/phone/twiml      Twilio's voice webhook: answers with the TwiML below
    WS   /webhooks/phone/stream     a bidirectional media stream (TwiML `<Connect><Stream>`)

The TwiML passes the caller's number and the stream token as custom parameters (Twilio's stream
URL may carry no query string):

    <Connect><Stream url="wss://HOST/webhooks/phone/stream">
      <Parameter name="caller" value="{{From}}"/>
      <Parameter name="token" value="$ANXIN_PHONE_STREAM_TOKEN"/>
    </Stream></Connect>

With TWILIO_AUTH_TOKEN set, the webhook and the stream's WebSocket handshake must carry a valid
X-Twilio-Signature (checked against ANXIN_PUBLIC_URL, or the forwarded host and scheme), else
403 before any upgrade; the stream token is still required. Without it the webhook is refused
(it would hand the stream token to anyone) and streams rely on the token alone.

Each recognized utterance goes through Rasa exactly like a REST message (a collecting output
channel, sender id = the call SID, metadata = caller number and SIDs); the call session
(voice/phone/call.py and the processors it wires) does everything audio. A malformed message,
an unknown event or a client that vanishes mid-stream is logged and costs only that connection.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import SlotSet
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from websockets.exceptions import ConnectionClosed

from actions.service.core.settings import get_settings
from actions.service.language import conversation_language
from bot.channels.human_lane import LaneMessage, register_live_line, relaying, unregister_live_line
from voice.phone.call import BotReply, CallHooks, CallSession
from voice.phone.twilio import SIGNATURE_HEADER, TwilioSerializer, signature_valid, stream_twiml

logger = logging.getLogger(__name__)

TOKEN_ENV = "ANXIN_PHONE_STREAM_TOKEN"
AUTH_TOKEN_ENV = "TWILIO_AUTH_TOKEN"
# A carrier sends `connected` and `start` (with the token) at once; a socket without a valid start by
# then is not a call, and holding it open would let anyone pin the server's connections.
UNAUTHENTICATED_SECONDS = 1.0


class PhoneInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "phone"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        settings = get_settings()
        return cls(settings.phone_stream_token, settings.twilio_auth_token)

    def __init__(self, token: Optional[str] = None, twilio_auth_token: Optional[str] = None) -> None:
        self.token = token
        self.twilio_auth_token = twilio_auth_token
        if not token:
            logger.warning("%s is not set: every phone stream will be refused", TOKEN_ENV)
        if not twilio_auth_token:
            logger.info("%s is not set: Twilio signatures are not checked, the TwiML webhook is off", AUTH_TOKEN_ENV)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = relaying(self.name(), on_new_message)  # a paused call's words go to the agent
        phone = Blueprint("custom_webhook_PhoneInput", __name__)

        @phone.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @phone.middleware("request")
        async def check_signature(request: Request) -> Optional[HTTPResponse]:
            """Refuse an unsigned stream before the WebSocket upgrade (and an unsigned webhook)."""
            if not self.twilio_auth_token or not request.path.rstrip("/").endswith(("/stream", "/twiml")):
                return None
            websocket = request.path.rstrip("/").endswith("/stream")
            params = None if websocket else request.form
            if signature_valid(self.twilio_auth_token, _public_urls(request, websocket), params,
                               request.headers.get(SIGNATURE_HEADER, "")):
                return None
            logger.warning("phone %s refused: missing or wrong %s", request.path, SIGNATURE_HEADER)
            return response.text("Forbidden", status=403)

        @phone.route("/twiml", methods=["POST"])
        async def twiml(request: Request) -> HTTPResponse:
            if not self.twilio_auth_token:  # unsigned, this would give the stream token to anyone
                return response.text("Not configured", status=404)
            stream_url = _public_urls(request, websocket=True, path=request.path.rsplit("/", 1)[0] + "/stream")[0]
            caller = request.form.get("From", "")
            return response.text(stream_twiml(stream_url, {"caller": caller, "token": self.token or ""}),
                                 content_type="text/xml")

        @phone.websocket("/stream")
        async def stream(request: Request, ws: Any) -> None:
            agent = request.app.ctx.agent
            session = CallSession(TwilioSerializer(), ws.send, CallHooks(
                bot_turn=lambda sender, text, metadata: self._bot_turn(agent, on_new_message, sender, text, metadata),
                set_slots=lambda sender, slots: self._set_slots(agent, sender, slots),
            ), token=self.token)
            line_registered = False
            authenticate_by = time.monotonic() + UNAUTHENTICATED_SECONDS
            try:
                while True:
                    # session.sender_id is known only after a start with the right token
                    waiting = None if session.sender_id else authenticate_by - time.monotonic()
                    if waiting is not None and waiting <= 0:
                        logger.warning("phone stream closed: no valid start within %.0f s", UNAUTHENTICATED_SECONDS)
                        break
                    raw = await ws.recv(timeout=waiting)
                    if raw is None:
                        continue
                    if not await session.handle(raw):
                        break
                    if session.sender_id and not line_registered:  # known after `start`: agents can speak in
                        register_live_line(session.sender_id, CallLine(session))
                        line_registered = True
            except ConnectionClosed:
                logger.info("phone call %s: the carrier closed the connection", session.sender_id or "-")
            except Exception:  # never let one call's bug take the worker down with a traceback to the caller
                logger.exception("phone call %s failed", session.sender_id or "-")
            finally:
                if session.sender_id:
                    unregister_live_line(session.sender_id)
                await session.close()

        return phone

    async def _bot_turn(self, agent: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]], sender: str,
                        text: str, metadata: dict) -> BotReply:
        collector = CollectingOutputChannel()
        await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
        tracker = await agent.tracker_store.retrieve(sender)
        language = conversation_language(tracker.get_slot("language") if tracker else None)
        return BotReply(collector.messages, language, handed_off=bool(tracker and tracker.is_paused()))

    @staticmethod
    async def _set_slots(agent: Any, sender: str, slots: Dict[str, Any]) -> None:
        """Write slots into the call's conversation (caller-ID prefill, the language key menu)."""
        async with agent.lock_store.lock(sender):
            tracker = await agent.processor.fetch_tracker_and_update_session(sender, CollectingOutputChannel())
            for name, value in slots.items():
                tracker.update(SlotSet(name, value))
            await agent.processor.save_tracker(tracker)


def _public_urls(request: Request, websocket: bool, path: Optional[str] = None) -> List[str]:
    """The URLs Twilio may have signed for this request: behind a proxy the server's own URL differs."""
    path = path or request.path
    query = f"?{request.query_string}" if request.query_string and path == request.path else ""
    bases = []
    public = get_settings().public_url
    if public:
        bases.append(public)
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    host = request.headers.get("X-Forwarded-Host", request.host).split(",")[0].strip()
    bases.append(f"{scheme}://{host}")
    urls = []
    for base in bases:
        if websocket:
            base = base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        else:
            base = base.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
        urls.append(base + path + query)
    return urls


class CallLine:
    """The human lane's way into a live call: the agent's words are spoken by TTS into the call."""

    def __init__(self, session: CallSession) -> None:
        self.session = session

    async def send(self, sender_id: str, message: LaneMessage) -> bool:
        if self.session.closed:
            return False
        self.session.say(message.text, message.language)
        return True

    def output_channel(self, sender_id: str) -> OutputChannel:
        return _CallTakenBack(self.session)


class _CallTakenBack(CollectingOutputChannel):
    """What the bot says when the agent gives the call back, spoken in one go once the turn is over."""

    def __init__(self, session: CallSession) -> None:
        super().__init__()
        self.session = session

    async def flush(self) -> None:
        if not self.session.closed:
            self.session.take_back(self.messages)
