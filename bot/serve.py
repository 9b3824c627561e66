"""Rasa's server with its secrets and exposure from settings: `python -m bot.serve [rasa run options]`.

Rasa 3.6 takes the HTTP API token only as `--auth-token=…`, which anyone on the machine can read
with `ps`; this launcher runs the same `rasa run` with the token put into the parsed arguments
from RASA_AUTH_TOKEN instead. It also binds Rasa to RASA_INTERFACE (loopback by default) and
allows cross-origin browsers only from ANXIN_CORS_ORIGINS (none by default), never "*", and never
on the agent console: Rasa's CORS allows credentials, so a listed origin would otherwise read the
queue as the logged-in agent.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Union

import rasa.__main__
import rasa.cli.run
import rasa.server
from sanic import Sanic
from sanic_cors import CORS

from actions.service.core.settings import get_settings

_rasa_run = rasa.cli.run.run
# Secrets and exposure come from the environment, never argv (`ps` shows it). argparse also takes
# unambiguous abbreviations (--auth, --cor) and short forms with the value attached (-tTOKEN).
_FROM_ENVIRONMENT = ("--auth-token", "--cors", "--interface", "--jwt-secret", "--ssl-password")
_FROM_ENVIRONMENT_SHORT = ("-t", "-i")
# Every path but the console's (sanic-cors matches these patterns at the start of the path).
OUTSIDE_CONSOLE = r"^(?!/webhooks/console(?:/|$))"


class NoAuthToken(RuntimeError):
    """An enabled HTTP API without a token would let anyone drive any conversation: refuse to start."""


def apply_settings(args: argparse.Namespace) -> argparse.Namespace:
    settings = get_settings()
    args.auth_token = settings.rasa_auth_token or None
    if args.enable_api and not args.auth_token:
        raise NoAuthToken("RASA_AUTH_TOKEN is not set (scripts/ensure_env.py writes one into .env)")
    args.interface = settings.rasa_interface
    args.cors = list(settings.cors_origins) or None
    return args


def configure_cors_outside_console(app: Sanic, cors_origins: Optional[Union[str, List[str]]] = "") -> None:
    """rasa.server.configure_cors, with the console left out of every CORS answer (preflight included)."""
    app.config.CORS_AUTOMATIC_OPTIONS = True
    app.config.CORS_SUPPORTS_CREDENTIALS = True  # as Rasa: the socket.io web chat needs it
    app.config.CORS_EXPOSE_HEADERS = "filename"
    CORS(app, resources={OUTSIDE_CONSOLE: {"origins": cors_origins or ""}}, automatic_options=True)


def _run_with_settings(args: argparse.Namespace) -> None:
    _rasa_run(apply_settings(args))


def names_a_setting_from_the_environment(arg: str) -> bool:
    name = arg.split("=", 1)[0]
    if name.startswith("--"):
        return len(name) > 2 and any(option.startswith(name) for option in _FROM_ENVIRONMENT)
    return name.startswith(_FROM_ENVIRONMENT_SHORT)


def main(argv: List[str]) -> None:
    if any(names_a_setting_from_the_environment(arg) for arg in argv):
        sys.exit("bot.serve: the token, secrets, CORS origins and interface come from the environment "
                 "(RASA_AUTH_TOKEN, ANXIN_CORS_ORIGINS, RASA_INTERFACE), not the command line")
    rasa.cli.run.run = _run_with_settings  # read when rasa's parser is built, inside main()
    rasa.server.configure_cors = configure_cors_outside_console  # read when the app is created
    sys.argv = ["rasa", "run", *argv]
    rasa.__main__.main()


if __name__ == "__main__":
    main(sys.argv[1:])
