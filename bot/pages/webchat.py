"""The customer web chat page, served by Rasa itself under /webhooks/webchat/.

    GET  /webhooks/webchat/                          the page (bot/pages/web/chat.html)
    GET  /webhooks/webchat/chat.js, chat.css         its script and style (revalidated on every load)
    GET  /webhooks/webchat/vendor/socket.io-<v>.min.js  the official Socket.IO client, one-year cache
    POST /webhooks/webchat/speak  read-aloud, forwarded to the voice gateway (voice/gateway/speak.py);
         while the gateway is down, the usual 503 "no_voice" refusal in the customer's language

The page chats with the bot over Rasa's socket.io channel (same origin: no CORS), holds to talk
through the voice message endpoint, and reads any message aloud through /speak. A Rasa input
channel only so that credentials.yml mounts it next to the chat channels.

Everything the page runs comes from this origin, so the Content-Security-Policy allows scripts,
styles, requests and audio from 'self' only (plus the same host's ws:/wss: for socket.io) and no
inline code at all.
"""
from __future__ import annotations

import logging
import re
from html import escape
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.core.settings import get_settings
from bot.channels.voice_forwarding import GatewayDown, forwarder
from voice.read_aloud import claimed_language, refusal

logger = logging.getLogger(__name__)

WEB = Path(__file__).resolve().parent / "web"
SOCKET_IO_CLIENT = "socket.io-4.8.4.min.js"  # the version is in the name: cached for a year
ASSETS = {  # URL name -> (file, content type)
    "chat.js": (WEB / "chat.js", "text/javascript; charset=utf-8"),
    "chat.css": (WEB / "chat.css", "text/css; charset=utf-8"),
}
VENDOR = {SOCKET_IO_CLIENT: (WEB / "vendor" / SOCKET_IO_CLIENT, "text/javascript; charset=utf-8")}

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


def content_security_policy(host: Optional[str]) -> str:
    """Only this origin: its own script and style files, requests, socket.io and reply audio."""
    sockets = ""
    if host and _HOST.match(host):  # Host is client-controlled: never let it add directives
        sockets = f" ws://{host} wss://{host}"
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            f"connect-src 'self'{sockets}; media-src 'self' blob:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


class WebChatPage(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        page = Blueprint("custom_webhook_WebChatPage", __name__)
        # Read once: the page and its files are part of the release.
        html = (WEB / "chat.html").read_text(encoding="utf-8").replace(
            "{{hotline}}", escape(get_settings().hotline, quote=True))  # the one configured urgent number
        files = {name: (path.read_bytes(), kind) for name, (path, kind) in {**ASSETS, **VENDOR}.items()}

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
                return await forwarder().http(request)
            except GatewayDown as error:
                logger.error("read-aloud refused: the voice gateway is down (%s)", error)
                body, status = refusal("no_voice", claimed_language(request.body))
                return response.json(body, status=status, headers=NO_STORE)

        return page


__all__: List[str] = ["WebChatPage", "content_security_policy"]
