"""The web chat page (bot/web/chat.html), served by Rasa itself at GET /webhooks/webchat/.

A Rasa input channel only so that credentials.yml mounts it next to the chat channels; the page
talks to the bot through the voice message endpoint (hold to talk) and the REST webhook (the
human button), both on the same origin, so it needs no CORS and no framework.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

PAGE = Path(__file__).resolve().parents[1] / "web" / "chat.html"
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Only this page's own inline code, and only its own origin for requests and reply audio.
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                               "connect-src 'self'; media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'",
    "Permissions-Policy": "microphone=(self)",
}


class WebChatPage(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        page = Blueprint("custom_webhook_WebChatPage", __name__)
        html = PAGE.read_text(encoding="utf-8")  # read once: the page is part of the release

        @page.route("/", methods=["GET"])
        async def chat(request: Request) -> HTTPResponse:
            return response.html(html, headers=PAGE_HEADERS)

        return page
