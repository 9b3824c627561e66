"""The voice gateway's Sanic app: the customer paths (phone, voice messages, read-aloud) and a health check."""
from __future__ import annotations

from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.core.settings import get_settings
from voice.gateway.phone import phone_blueprint
from voice.gateway.rasa_link import RasaLink
from voice.gateway.speak import speak_blueprint
from voice.gateway.telegram_speech import telegram_speech_blueprint
from voice.gateway.voice_message import voice_message_blueprint


class NoGatewaySecret(RuntimeError):
    """Without the shared secret Rasa's connector refuses every turn: refuse to start instead."""


def build_app(name: str = "anxin_voice_gateway") -> Sanic:
    settings = get_settings()
    if not settings.gateway_secret:
        raise NoGatewaySecret("ANXIN_GATEWAY_SECRET is not set (scripts/ensure_env.py writes one into .env)")
    app = Sanic(name)
    link = RasaLink(settings.gateway_rasa_url, settings.gateway_secret)
    app.blueprint(phone_blueprint(link))
    app.blueprint(voice_message_blueprint(link))
    app.blueprint(speak_blueprint())
    app.blueprint(telegram_speech_blueprint())  # internal: the Rasa server's Telegram channel only

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.listener("before_server_stop")
    async def close_link(_app: Any, _loop: Any) -> None:
        await link.close()

    return app
