"""The customer web chat page, served by Rasa itself under /webhooks/webchat/.

    GET  /webhooks/webchat/                          the page (bot/pages/web/chat.html)
    GET  /webhooks/webchat/chat.js, chat.css         its script and style (revalidated on every load)
    GET  /webhooks/webchat/vendor/socket.io-<v>.min.js  the official Socket.IO client, one-year cache
    POST /webhooks/webchat/speak  {"text", "language"?, "options"?: [button titles]}
         -> 200 audio/ogg (the text read aloud, Opus)
         -> 400/413/429/503 JSON {"error", "message"} in the customer's language; never a 500

The page chats with the bot over Rasa's socket.io channel (same origin: no CORS), holds to talk
through the voice message endpoint, and reads any message aloud through /speak. A Rasa input
channel only so that credentials.yml mounts it next to the chat channels.

Everything the page runs comes from this origin, so the Content-Security-Policy allows scripts,
styles, requests and audio from 'self' only (plus the same host's ws:/wss: for socket.io) and no
inline code at all.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from html import escape
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.constants import LANGUAGES
from actions.service.language import text_language
from actions.service.core.settings import get_settings
from bot.channels.rate_limited import TokenBucketLimiter
from bot.pages.phrases import SPEAK_REFUSALS
from voice.audio import AudioError, encode_ogg_opus
from voice.tts import TTSError, synthesize_async, voice_for
from voice.voice_message import spoken_text

logger = logging.getLogger(__name__)

WEB = Path(__file__).resolve().parent / "web"
SOCKET_IO_CLIENT = "socket.io-4.8.4.min.js"  # the version is in the name: cached for a year
ASSETS = {  # URL name -> (file, content type)
    "chat.js": (WEB / "chat.js", "text/javascript; charset=utf-8"),
    "chat.css": (WEB / "chat.css", "text/css; charset=utf-8"),
}
VENDOR = {SOCKET_IO_CLIENT: (WEB / "vendor" / SOCKET_IO_CLIENT, "text/javascript; charset=utf-8")}

MAX_SPEAK_CHARS = 1000        # longer is refused (413): the page sends at most this much
MAX_SPEAK_OPTIONS = 12        # button titles read after the text
SPEAK_PER_MINUTE = 20         # per client address: a person presses 🔊 a few times a minute
SPEAK_BURST = 8
SPEAK_AT_ONCE = 2             # syntheses in flight per process (2 cores); more wait their turn

_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PAGE_HEADERS = {
    **_SECURITY_HEADERS,
    "Cache-Control": "no-cache",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=()",
}
ASSET_HEADERS = {**_SECURITY_HEADERS, "Cache-Control": "no-cache"}
VENDOR_HEADERS = {**_SECURITY_HEADERS, "Cache-Control": "public, max-age=31536000, immutable"}
NO_STORE = {**_SECURITY_HEADERS, "Cache-Control": "no-store"}

_SPEAK_STATUS = {"bad_request": 400, "too_long": 413, "busy": 429, "no_voice": 503}


def content_security_policy(host: Optional[str]) -> str:
    """Only this origin: its own script and style files, requests, socket.io and reply audio."""
    sockets = ""
    if host and _HOST.match(host):  # Host is client-controlled: never let it add directives
        sockets = f" ws://{host} wss://{host}"
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            f"connect-src 'self'{sockets}; media-src 'self' blob:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def speak_request(body: bytes) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """(what to say, None) or (None, refusal kind) for the JSON body of POST /speak."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None, "bad_request"
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None, "bad_request"
    text = data["text"].strip()
    options = data.get("options") or []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        return None, "bad_request"
    if len(text) > MAX_SPEAK_CHARS or len(options) > MAX_SPEAK_OPTIONS \
            or sum(len(o) for o in options) > MAX_SPEAK_CHARS:
        return None, "too_long"
    language = text_language(text, data.get("language"))
    said = spoken_text({"text": text, "buttons": [{"title": o} for o in options]}, language)
    if not said:
        return None, "bad_request"
    return {"text": said, "language": language}, None


def refusal(kind: str, language: Optional[str]) -> HTTPResponse:
    variants = SPEAK_REFUSALS[kind]
    return response.json({"error": kind, "message": variants.get(language or "", variants["zh-Hans"])},
                         status=_SPEAK_STATUS[kind], headers=NO_STORE)


def _claimed_language(body: bytes) -> Optional[str]:
    """The language a refused request asked for, to refuse in it (best effort)."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    language = data.get("language") if isinstance(data, dict) else None
    return language if language in LANGUAGES else None


class WebChatPage(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        self.speak_limiter = TokenBucketLimiter(per_minute=SPEAK_PER_MINUTE, burst=SPEAK_BURST)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        page = Blueprint("custom_webhook_WebChatPage", __name__)
        # Read once: the page and its files are part of the release.
        html = (WEB / "chat.html").read_text(encoding="utf-8").replace(
            "{{hotline}}", escape(get_settings().hotline, quote=True))  # the one configured urgent number
        files = {name: (path.read_bytes(), kind) for name, (path, kind) in {**ASSETS, **VENDOR}.items()}
        speaking = asyncio.Semaphore(SPEAK_AT_ONCE)

        @page.route("/", methods=["GET"])
        async def chat(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):  # the page's relative URLs need the slash
                return response.redirect(request.path + "/", headers=NO_STORE)
            headers = {**PAGE_HEADERS, "Content-Security-Policy": content_security_policy(request.host)}
            return response.html(html, headers=headers)

        def asset(name: str) -> Callable[[Request], Awaitable[HTTPResponse]]:
            async def serve(request: Request) -> HTTPResponse:
                body, kind = files[name]
                return response.raw(body, content_type=kind, headers=ASSET_HEADERS)
            return serve

        for name in ASSETS:
            page.add_route(asset(name), f"/{name}", methods=["GET"], name=name.replace(".", "_"))

        @page.route("/vendor/<name>", methods=["GET"])
        async def vendor(request: Request, name: str) -> HTTPResponse:
            if name not in VENDOR:
                return response.json({"error": "not_found"}, status=404, headers=NO_STORE)
            body, kind = files[name]
            return response.raw(body, content_type=kind, headers=VENDOR_HEADERS)

        @page.route("/speak", methods=["POST"])
        async def speak(request: Request) -> HTTPResponse:
            try:
                return await self._speak(request, speaking)
            except Exception:  # never a stack trace or a 500: the customer still has the text
                logger.exception("read-aloud failed")
                return refusal("no_voice", _claimed_language(request.body))

        return page

    async def _speak(self, request: Request, speaking: asyncio.Semaphore) -> HTTPResponse:
        wanted, problem = speak_request(request.body)
        if problem:  # refusing costs nothing: only speech counts against the limit
            return refusal(problem, _claimed_language(request.body))
        if not self.speak_limiter.allow(request.remote_addr or request.ip or "unknown"):
            return refusal("busy", wanted["language"])
        async with speaking:
            try:
                speech = await synthesize_async(wanted["text"], voice_for(wanted["language"]))
                ogg = await asyncio.to_thread(encode_ogg_opus, speech.audio, speech.sample_rate)
            except (TTSError, AudioError) as error:
                logger.error("no speech for read-aloud (%s)", error)
                return refusal("no_voice", wanted["language"])
        return response.raw(ogg, content_type="audio/ogg", headers=NO_STORE)


__all__: List[str] = ["WebChatPage", "content_security_policy", "speak_request", "MAX_SPEAK_CHARS"]
