"""`python -m voice.gateway`: the voice gateway on ANXIN_VOICE_GATEWAY_INTERFACE:ANXIN_VOICE_GATEWAY_PORT."""
from __future__ import annotations

import logging

from actions.service.core.settings import get_settings
from voice.gateway.app import build_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    app = build_app()
    logging.getLogger(__name__).info("voice gateway on http://%s:%s, bot at %s", settings.voice_gateway_interface,
                                     settings.voice_gateway_port, settings.gateway_rasa_url)
    app.run(host=settings.voice_gateway_interface, port=settings.voice_gateway_port, access_log=False,
            motd=False, workers=1)


if __name__ == "__main__":
    main()
