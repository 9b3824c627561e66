"""Rasa's server with its secrets and exposure from settings: `python -m bot.serve [rasa run options]`.

Rasa 3.6 takes the HTTP API token only as `--auth-token=…`, which anyone on the machine can read
with `ps`; this launcher runs the same `rasa run` with the token put into the parsed arguments
from RASA_AUTH_TOKEN instead. It also binds Rasa to RASA_INTERFACE (loopback by default) and
allows cross-origin browsers only from ANXIN_CORS_ORIGINS (none by default), never "*", and never
on the agent console: Rasa's CORS allows credentials, so a listed origin would otherwise read the
queue as the logged-in agent.

For many servers (issue 14) the lock store and the event broker come from settings too
(ANXIN_LOCK_STORE_URL -> Rasa's RedisLockStore, ANXIN_EVENT_BROKER_URL -> Rasa's Pika event broker
and its durable queue), laid over bot/endpoints.yml when Rasa reads it, so no URL or password is
written to a file; unset, bot/endpoints.yml's embedded defaults stay. Before Rasa starts, it also
installs the cheap check of action server answers (bot/action_response.py), one resend of an action
whose action server went away mid-call (bot/action_retry.py), the quicker load of
the NLU classifiers (bot/model_loading.py), the FAQ selector run only where its answer may be read
(bot/faq_selector.py), TEDPolicy's memory of the states it has answered
(bot/ted_cache.py) and the language slot's mapping answered without a round trip
(bot/language_slot.py).
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Union
from urllib.parse import unquote, urlsplit

import rasa.__main__
import rasa.cli.run
import rasa.server
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig
from sanic import Sanic
from sanic_cors import CORS

from actions.service.core.settings import Settings, get_settings
from bot import action_response, action_retry, faq_selector, language_slot, model_loading, ted_cache

_rasa_run = rasa.cli.run.run
_read_endpoints = AvailableEndpoints.read_endpoints.__func__  # type: ignore[attr-defined]
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


# Rasa's RedisLockStore with a waiting turn that cannot be forgotten (bot/lock_store.py says why).
LOCK_STORE = "bot.lock_store.RedisLockStore"


def lock_store_endpoint(settings: Settings) -> Optional[EndpointConfig]:
    """redis://[user:password@]host[:port][/db] as Rasa's redis lock store; None for the in-memory default."""
    if not settings.lock_store_url:
        return None
    url = urlsplit(settings.lock_store_url)
    if url.scheme not in ("redis", "rediss"):
        raise ValueError("ANXIN_LOCK_STORE_URL must be a redis:// or rediss:// URL")
    db = url.path.strip("/")
    return EndpointConfig(url=url.hostname or "localhost", type=LOCK_STORE, port=url.port or 6379,
                          db=int(db) if db else 1, username=unquote(url.username) if url.username else None,
                          password=unquote(url.password) if url.password else None,
                          use_ssl=url.scheme == "rediss", key_prefix="anxin")


def event_broker_endpoint(settings: Settings) -> Optional[EndpointConfig]:
    """amqp://user:password@host[:port][/vhost] as Rasa's Pika broker, publishing to one durable queue."""
    if not settings.event_broker_url:
        return None
    url = urlsplit(settings.event_broker_url)
    if url.scheme not in ("amqp", "amqps"):
        raise ValueError("ANXIN_EVENT_BROKER_URL must be an amqp:// or amqps:// URL")
    return EndpointConfig(url=settings.event_broker_url, type="pika", port=url.port or 5672,
                          username=unquote(url.username or "guest"), password=unquote(url.password or "guest"),
                          queues=[settings.event_queue], raise_on_failure=False)


def read_endpoints_with_settings(cls: type, endpoint_file: str) -> AvailableEndpoints:
    """AvailableEndpoints.read_endpoints, with the lock store and event broker from settings when set."""
    endpoints = _read_endpoints(cls, endpoint_file)
    settings = get_settings()
    endpoints.lock_store = lock_store_endpoint(settings) or endpoints.lock_store
    endpoints.event_broker = event_broker_endpoint(settings) or endpoints.event_broker
    return endpoints


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
    settings = get_settings()
    if settings.sanic_workers > 1 and not settings.lock_store_url:
        # Rasa would quietly fall back to one worker: an in-memory lock cannot guard other processes.
        sys.exit("bot.serve: SANIC_WORKERS > 1 needs a shared lock store (ANXIN_LOCK_STORE_URL=redis://...)")
    lock_store_endpoint(settings), event_broker_endpoint(settings)  # a mistyped URL stops the start here
    action_response.install()
    action_retry.install()
    model_loading.install()
    faq_selector.install()
    ted_cache.install()
    language_slot.install()
    AvailableEndpoints.read_endpoints = classmethod(read_endpoints_with_settings)  # type: ignore[assignment]
    rasa.cli.run.run = _run_with_settings  # read when rasa's parser is built, inside main()
    rasa.server.configure_cors = configure_cors_outside_console  # read when the app is created
    sys.argv = ["rasa", "run", *argv]
    rasa.__main__.main()


if __name__ == "__main__":
    main(sys.argv[1:])
