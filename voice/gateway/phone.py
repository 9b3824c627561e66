"""Phone calls: a WebSocket on the voice gateway speaking Twilio Media Streams.

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
X-Twilio-Signature (checked against ANXIN_PUBLIC_URL, or the forwarded host and scheme: the Rasa
server or HAProxy in front passes them), else 403 before any upgrade; the stream token is still
required. Without it the webhook is refused (it would hand the stream token to anyone) and streams
rely on the token alone.

Each recognized utterance goes to Rasa's gateway connector as a turn of the "phone" channel (sender
id = the call SID, metadata = caller number and SIDs); the call session (voice/phone/call.py and the
processors it wires) does everything audio. While the call lasts it looks into the human lane's
outbox every second: an agent's words are spoken into it, and the bot's when the agent gives it
back. A malformed message, an unknown event or a client that vanishes mid-stream is logged and
costs only that connection.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, Dict, List, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from websockets.exceptions import ConnectionClosed

from actions.service.core.settings import get_settings
from actions.service.language import conversation_language
from voice.gateway.protocol import LANE_KEY, LANE_POLL_SECONDS, PHONE, TAKE_BACK
from voice.gateway.rasa_link import RasaLink
from voice.phone import smart_turn
from voice.phone.call import BotReply, CallHooks, CallSession
from voice.phone.call_state import BotUnavailable
from voice.phone.twilio import SIGNATURE_HEADER, TwilioSerializer, signature_valid, stream_twiml

logger = logging.getLogger(__name__)

TOKEN_ENV = "ANXIN_PHONE_STREAM_TOKEN"
AUTH_TOKEN_ENV = "TWILIO_AUTH_TOKEN"
# A carrier sends `connected` and `start` (with the token) at once; a socket without a valid start by
# then is not a call, and holding it open would let anyone pin the server's connections.
UNAUTHENTICATED_SECONDS = 1.0


def phone_blueprint(link: RasaLink) -> Blueprint:
    """The phone's routes, each call's turns through `link`."""
    settings = get_settings()
    token, twilio_auth_token = settings.phone_stream_token, settings.twilio_auth_token
    if not token:
        logger.warning("%s is not set: every phone stream will be refused", TOKEN_ENV)
    if not twilio_auth_token:
        logger.info("%s is not set: Twilio signatures are not checked, the TwiML webhook is off", AUTH_TOKEN_ENV)
    phone = Blueprint("phone", url_prefix="/webhooks/phone")
    if settings.voice_preload and settings.phone_smart_turn:
        # The turn model and its tagger load while the gateway starts, not during the first call's greeting.
        threading.Thread(target=_prepare_turn_judges, name="smart-turn-preload", daemon=True).start()

    @phone.route("/", methods=["GET"])
    async def health(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @phone.middleware("request")
    async def check_signature(request: Request) -> Optional[HTTPResponse]:
        """Refuse an unsigned stream before the WebSocket upgrade (and an unsigned webhook)."""
        if not twilio_auth_token or not request.path.rstrip("/").endswith(("/stream", "/twiml")):
            return None
        websocket = request.path.rstrip("/").endswith("/stream")
        params = None if websocket else request.form
        if signature_valid(twilio_auth_token, _public_urls(request, websocket), params,
                           request.headers.get(SIGNATURE_HEADER, "")):
            return None
        logger.warning("phone %s refused: missing or wrong %s", request.path, SIGNATURE_HEADER)
        return response.text("Forbidden", status=403)

    @phone.route("/twiml", methods=["POST"])
    async def twiml(request: Request) -> HTTPResponse:
        if not twilio_auth_token:  # unsigned, this would give the stream token to anyone
            return response.text("Not configured", status=404)
        stream_url = _public_urls(request, websocket=True, path=request.path.rsplit("/", 1)[0] + "/stream")[0]
        caller = request.form.get("From", "")
        return response.text(stream_twiml(stream_url, {"caller": caller, "token": token or ""}),
                             content_type="text/xml")

    @phone.websocket("/stream")
    async def stream(request: Request, ws: Any) -> None:
        session = CallSession(TwilioSerializer(), ws.send, CallHooks(
            bot_turn=lambda sender, text, metadata: _bot_turn(link, session, sender, text, metadata),
            set_slots=link.set_slots,
        ), token=token)
        lane: Optional[asyncio.Task] = None
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
                if session.sender_id and lane is None:  # known after `start`: agents can speak in
                    lane = asyncio.ensure_future(_follow_the_lane(link, session))
        except ConnectionClosed:
            logger.info("phone call %s: the carrier closed the connection", session.sender_id or "-")
        except Exception:  # never let one call's bug take the worker down with a traceback to the caller
            logger.exception("phone call %s failed", session.sender_id or "-")
        finally:
            if lane is not None:
                lane.cancel()
            await session.close()

    return phone


def _prepare_turn_judges() -> None:
    try:
        smart_turn.prepare()
    except Exception:  # each call tries again, and falls back to the silence rule (turn_taking.py)
        logger.exception("phone: could not preload the turn model")


async def _bot_turn(link: RasaLink, session: CallSession, sender: str, text: str, metadata: dict) -> BotReply:
    answer = await link.turn(sender, text, PHONE, metadata)
    speak_lane(session, answer.get("lane") or [])  # what the agent said since the last look, before the reply
    return BotReply(answer.get("messages") or [], conversation_language(answer.get("language")),
                    handed_off=bool(answer.get("handed_off")))


async def _follow_the_lane(link: RasaLink, session: CallSession) -> None:
    """While the call lasts: the agent's words (and the bot's at give-back) from the lane's outbox, spoken."""
    while not session.closed:
        await asyncio.sleep(LANE_POLL_SECONDS)
        try:
            speak_lane(session, await link.lane(session.sender_id))
        except BotUnavailable:
            continue  # Rasa restarting: the outbox keeps the words until it is back
        except Exception:
            logger.exception("phone call %s: the lane's outbox could not be read", session.sender_id)


def speak_lane(session: CallSession, entries: List[Dict[str, Any]]) -> None:
    """The human lane's messages into the call, in order: an agent's words, or the bot's at give-back."""
    for entry in entries:
        if session.closed:
            return
        metadata = entry.get("metadata") or {}
        if metadata.get(LANE_KEY) == TAKE_BACK:
            session.take_back(entry.get("messages") or [])
        elif entry.get("text"):
            session.say(entry["text"], metadata.get("language"))


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
