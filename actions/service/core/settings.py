"""Configuration, read once from the environment (and `.env`), never from code."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Tuple

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parents[3]
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_service_hours(spec: str) -> Tuple[Tuple[int, int], ...]:
    """'09:00-12:00, 13:00-18:00' -> ((540, 720), (780, 1080)) in minutes of the day; '22:00-06:00' wraps."""
    ranges = []
    for part in spec.split(","):
        match = _HOURS.match(part)
        if not match:
            raise ValueError(f"ANXIN_SERVICE_HOURS: {part.strip()!r} is not like 09:00-18:00")
        h1, m1, h2, m2 = map(int, match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if not (start <= 1440 and end <= 1440 and m1 < 60 and m2 < 60):
            raise ValueError(f"ANXIN_SERVICE_HOURS: {part.strip()!r} is not a time range")
        ranges.append((start, end))
    return tuple(ranges)


def _listed(value: str) -> Tuple[str, ...]:
    """'a, b c' -> ('a', 'b', 'c')."""
    return tuple(word for word in re.split(r"[\s,]+", value) if word)


@dataclass(frozen=True)
class Settings:
    database_url: str
    public_url: str
    secret_key: str
    # Identity check: failures allowed before the lock (per chat; per phone number, from any chats), and
    # the lock's length. The phone's own limit is higher: a stranger's guesses lock the stranger's chat first.
    max_verification_failures: int = 3
    max_phone_verification_failures: int = 10
    lock_minutes: int = 15
    # Policy loans: share of cash value that may be borrowed; above this a human decides.
    loan_ratio: float = 0.8
    loan_human_threshold: int = 300_000
    grace_period_days: int = 60
    document_link_days: int = 7
    # Human lane (issue 4): when people answer ("09:00-18:00", several ranges comma-separated,
    # local time in service_time_zone; the default means always), and console session lengths.
    service_hours: Tuple[Tuple[int, int], ...] = ((0, 1440),)  # parsed ANXIN_SERVICE_HOURS, minutes of the day
    service_time_zone: str = "Asia/Shanghai"
    agent_session_hours: float = 8
    agent_idle_minutes: float = 30
    # Who may reach the servers (issue 12). The action server answers only Rasa: loopback unless a
    # cluster names a private address, and only calls carrying action_secret (bot/endpoints.yml sends it).
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    action_secret: str = ""
    # Rasa's HTTP port: loopback by default (chat clients are local in the demo; a proxy fronts it in
    # production); browsers on other origins get CORS only if the operator lists them.
    rasa_interface: str = "127.0.0.1"
    rasa_auth_token: str = ""  # Rasa's HTTP API token (bot.serve hands it to Rasa, never on a command line)
    cors_origins: Tuple[str, ...] = ()
    # A verified identity is a signed slot (actions.service.customers.identity_proof), good for this long.
    identity_proof_hours: float = 12
    # Demo mode (on in `make run`): the built-in demo payment provider takes "payments" and settles them.
    # Off, its checkout pages and callback answer "not available": only a real gateway can settle.
    demo_mode: bool = False
    # A payment callback older (or further in the future) than this is refused as stale.
    payment_callback_window_seconds: int = 300
    # Checkout pages and payment callbacks per client IP: a burst, then this many a minute.
    checkout_requests_per_minute: float = 20
    checkout_burst: int = 10
    # Chat messages per client IP (beside the per-sender limit: rotating sender ids must not help).
    # Behind a proxy, list its address in ANXIN_TRUSTED_PROXIES so X-Forwarded-For names the client.
    client_messages_per_minute: float = 120
    client_burst: int = 60
    trusted_proxies: Tuple[str, ...] = ()
    # The urgent-contact number the customer is told everywhere (replies, web page, invoices, reminders).
    hotline: str = "400-000-0000"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    default_db = f"sqlite:///{PROJECT_ROOT / 'var' / 'anxin.db'}"
    return Settings(
        database_url=os.environ.get("ANXIN_DATABASE_URL", default_db),
        public_url=os.environ.get("ANXIN_PUBLIC_URL", "http://localhost:5005").rstrip("/"),
        secret_key=os.environ.get("ANXIN_SECRET_KEY", ""),
        # Parsed here so a mistyped value stops the start, not a customer's handoff.
        service_hours=parse_service_hours(os.environ.get("ANXIN_SERVICE_HOURS", "00:00-24:00")),
        service_time_zone=os.environ.get("ANXIN_SERVICE_TIME_ZONE", "Asia/Shanghai"),
        agent_session_hours=float(os.environ.get("ANXIN_AGENT_SESSION_HOURS", "8")),
        agent_idle_minutes=float(os.environ.get("ANXIN_AGENT_IDLE_MINUTES", "30")),
        action_host=os.environ.get("ACTION_HOST", "127.0.0.1"),
        action_port=int(os.environ.get("ACTION_PORT", "5055")),
        action_secret=os.environ.get("ANXIN_ACTION_SECRET", ""),
        rasa_interface=os.environ.get("RASA_INTERFACE", "127.0.0.1"),
        rasa_auth_token=os.environ.get("RASA_AUTH_TOKEN", ""),
        cors_origins=_listed(os.environ.get("ANXIN_CORS_ORIGINS", "")),
        client_messages_per_minute=float(os.environ.get("ANXIN_CLIENT_RATE_LIMIT_PER_MINUTE", "120")),
        client_burst=int(os.environ.get("ANXIN_CLIENT_RATE_LIMIT_BURST", "60")),
        trusted_proxies=tuple(a.strip() for a in os.environ.get("ANXIN_TRUSTED_PROXIES", "").split(",") if a.strip()),
        hotline=os.environ.get("ANXIN_HOTLINE", "400-000-0000").strip() or "400-000-0000",
        demo_mode=os.environ.get("ANXIN_DEMO_MODE", "").strip().lower() in ("1", "true", "yes", "on"),
    )
