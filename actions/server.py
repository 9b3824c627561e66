"""The action server, answering only Rasa: `python -m actions.server` (replaces `rasa run actions`).

rasa-sdk's own entry point listens on every interface (SANIC_HOST, default 0.0.0.0) and runs any
tracker it is posted. Here it listens on ACTION_HOST (loopback by default; a cluster names its
private address), and every call but /health must carry the shared secret that Rasa sends from
bot/endpoints.yml. An action that fails answers a plain 500: rasa-sdk's handler echoes the whole
tracker back, and Rasa then logs it (ID digits, phone numbers and all).
"""
from __future__ import annotations

import logging

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.core.shared_secret import secret_matches
from actions.service.core.settings import get_settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Anxin-Action-Secret"  # bot/endpoints.yml sends it
OPEN_PATHS = ("/health",)  # says only "ok": load balancers and start scripts poll it


class NoActionSecret(RuntimeError):
    """Without a shared secret the action server would run anyone's tracker: refuse to start."""


def build_app(secret: str) -> Sanic:
    if not secret:
        raise NoActionSecret("ANXIN_ACTION_SECRET is not set (scripts/ensure_env.py writes one into .env)")
    app = create_app("actions", cors_origins=None)  # no CORS: browsers never call actions

    @app.on_request
    async def only_rasa(request: Request):
        if request.path in OPEN_PATHS:
            return None
        if not secret_matches(request.headers.get(SECRET_HEADER, ""), secret):
            logger.warning("refused an action call without the shared secret from %s", request.ip)
            return response.json({"error": "unauthorized"}, status=401)
        return None

    @app.exception(Exception)
    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        # The tracker stays out of the answer and the log: only which action, and the traceback.
        action = (request.json or {}).get("next_action") if _is_json_object(request) else None
        logger.error("action %s failed", action, exc_info=exception)
        return response.json({"error": "action failed", "action_name": action}, status=500)

    return app


def _is_json_object(request: Request) -> bool:
    try:
        return isinstance(request.json, dict)
    except Exception:  # a malformed body
        return False


def main() -> None:
    utils.configure_colored_logging(None)
    utils.update_sanic_log_level()
    settings = get_settings()
    app = build_app(settings.action_secret)
    logger.info("action server on http://%s:%s (callers need the shared secret)", settings.action_host,
                settings.action_port)
    app.run(settings.action_host, settings.action_port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
