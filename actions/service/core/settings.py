"""Configuration, read once from the environment (and `.env`), never from code.

The one module that reads the product's environment variables (tests/test_layers.py holds to it):
every other module asks get_settings(). Tests that change a variable call get_settings.cache_clear().
It is also where every default lives: scripts/env.sh asks `python -m actions.service.core.settings`
for the few variables the shell and Rasa's endpoints.yml need (database URLs, ports, the action URL)
rather than writing their defaults a second time.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Tuple

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_RASA_PORT = 5005
DEFAULT_ACTION_PORT = 5055
DEFAULT_VOICE_GATEWAY_PORT = 5065
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


def _float_or(name: str, default: float) -> float:
    """A number from the environment; a value that is not one keeps the default (the phone's timings)."""
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


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
    # A customer waiting for a person hears their place and wait at least this often, changed or not
    # (bot/channels/human_lane.py's QueueNotifier; issue 15: no silence while waiting).
    queue_update_seconds: float = 60
    # Identity checks an agent may record in the console for one ticket before it refuses more.
    max_agent_identity_checks: int = 3
    # Who may reach the servers (issue 12). The action server answers only Rasa: loopback unless a
    # cluster names a private address, and only calls carrying action_secret (bot/endpoints.yml sends it).
    action_host: str = "127.0.0.1"
    action_port: int = DEFAULT_ACTION_PORT
    action_server_url: str = ""  # where Rasa calls actions (bot/endpoints.yml); default: loopback, action_port
    action_secret: str = ""
    # Rasa's HTTP port: loopback by default (chat clients are local in the demo; a proxy fronts it in
    # production); browsers on other origins get CORS only if the operator lists them.
    rasa_port: int = DEFAULT_RASA_PORT
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
    # Chat messages per sender (bot/channels/rate_limited.py): a burst, then this many a minute.
    rate_limit_per_minute: float = 30
    rate_limit_burst: int = 10
    # Telegram: the bot's token and the Bot API (a test points it at a local fake); credentials.yml may
    # name them instead. Webhook or long polling, and the webhook's secret and public URL.
    telegram_bot_token: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_secret: str = ""
    telegram_mode: str = "webhook"
    telegram_webhook_url: str = ""
    # Phone: the carrier's stream token and Twilio's signing key (unset: streams refused, signatures unchecked).
    phone_stream_token: str = ""
    twilio_auth_token: str = ""
    # Phone turn-taking (voice/phone/turns.py): seconds of silence that end a turn, the longest turn,
    # voice that pauses the bot, voice that interrupts it, and silence after which ASR starts early.
    phone_end_silence_s: float = 1.8
    phone_max_turn_s: float = 20.0
    phone_onset_s: float = 0.15
    phone_barge_in_s: float = 0.6
    phone_early_asr_s: float = 0.6
    # Smart end of turn (voice/phone/end_of_turn.py): after this short pause the turn model judges the
    # words; judged unfinished, the turn ends only after the longer silence (an elder's allowance).
    phone_smart_turn: bool = True
    phone_smart_pause_s: float = 0.25
    phone_unfinished_silence_s: float = 2.2
    # Reminder scheduler (python -m actions.service.scheduler): seconds between send rounds and scans.
    # The scan reads every premium inside a stage window (a quarter of the book: ~2 s per million
    # policies); stages are days long, so scanning every 15 minutes is plenty. Sending runs every
    # interval: quiet hours end and retries fall due at any minute.
    reminder_interval_seconds: float = 60
    reminder_scan_seconds: float = 900
    # Speech recognition (voice/asr.py, voice/recognizer.py); README's voice figures say why these values.
    asr_engine: str = "faster-whisper"
    asr_max_seconds: float = 30  # one Whisper window
    asr_no_speech: float = 0.6
    # Greedy decoding (1) was tried: it loops on the prompt's words and falls back to sampling, so it
    # was both less accurate (CER 0.51) and no faster; 2 beams it is.
    asr_beam: int = 2
    asr_threads: int = 1  # one per core (get_settings counts them)
    # faster-whisper pads every utterance to Whisper's 30-s window (3000 mel frames) and encodes it all;
    # the encoder is most of the cost and grows faster than linearly. CTranslate2 accepts a shorter
    # window, so only the speech plus this margin of padding is encoded (0 = the full 30-s window).
    asr_encoder_margin: int = 300  # 100 frames = 1 s
    # Whisper misreads much shorter windows: on the test fixtures 10 s raised the character error rate
    # from 0.20 (30 s) to 0.22, 15 s gave 0.17 at 37% of the 30-s window's CPU time (README, voice figures).
    asr_encoder_min: int = 1500
    whisper_model: str = "base"  # the bundled weights, or a CTranslate2 model directory
    whisper_cache: Path = PROJECT_ROOT / "var" / "whisper"
    smart_turn_model: Optional[Path] = None  # an operator's own Smart Turn ONNX file (unset: the bundled one)
    # Speech synthesis (voice/tts.py): slower than usual for seniors, edge-tts's first-chunk timeout and
    # the breaker's pause, and the disk cache.
    tts_rate: str = "-15%"
    tts_edge_timeout: float = 1.5
    tts_breaker_seconds: float = 60
    tts_cache: Path = PROJECT_ROOT / "var" / "tts-cache"
    # Voice messages: the longest recording, where reply audio is kept and for how long, and whether the
    # voice channel loads Whisper while Rasa starts.
    voice_max_seconds: float = 60
    voice_reply_dir: Path = PROJECT_ROOT / "var" / "voice-replies"
    voice_reply_ttl: float = 3600
    voice_preload: bool = True
    # Many Rasa servers (issue 14; bot/serve.py turns these into Rasa's endpoints). Empty: the embedded
    # default, an in-memory lock store and no event broker, so `make run` needs no other service.
    lock_store_url: str = ""  # redis://[:password@]host:6379/db -> Rasa's RedisLockStore
    event_broker_url: str = ""  # amqp://user:password@host:5672/vhost -> Rasa's Pika event broker
    event_queue: str = "anxin_events"  # the durable RabbitMQ queue every conversation event goes to
    sanic_workers: int = 1  # Rasa's SANIC_WORKERS: more than 1 only with a Redis lock store
    # Every Rasa server's queue notifier looks this often (only the lease holder works); by default a
    # third of queue_update_seconds, at most 15 s, so an update is never much later than promised.
    queue_check_seconds: float = 15
    # The voice gateway (python -m voice.gateway, issue 17): its own process for the phone stream, voice
    # messages and read-aloud, so speech never runs in a Rasa server. Rasa forwards the customer paths to
    # voice_gateway_url; the gateway calls Rasa's connector (/webhooks/gateway/) at gateway_rasa_url, and
    # both ways carry gateway_secret.
    voice_gateway_port: int = DEFAULT_VOICE_GATEWAY_PORT
    voice_gateway_interface: str = "127.0.0.1"
    voice_gateway_url: str = ""
    gateway_rasa_url: str = ""
    gateway_secret: str = ""
    # Voice of the customer (issue 18) reads conversations from Rasa's tracker store (bot/endpoints.yml).
    tracker_store_url: str = ""
    # The urgent-contact number the customer is told everywhere (replies, web page, invoices, reminders).
    hotline: str = "400-000-0000"


class NoSecretKey(RuntimeError):
    """Without ANXIN_SECRET_KEY, proofs, ID hashes and payment callbacks could be forged: refuse them."""


def secret_key() -> str:
    """The project secret (HMAC key of identity proofs, ID-digit hashes, payment callbacks), or NoSecretKey.

    Never a built-in fallback: a key written in the code is a key everyone has.
    """
    key = get_settings().secret_key
    if not key:
        raise NoSecretKey("ANXIN_SECRET_KEY is not set (scripts/ensure_env.py writes one into .env)")
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    default_db = f"sqlite:///{PROJECT_ROOT / 'var' / 'anxin.db'}"
    rasa_port = int(os.environ.get("RASA_PORT", DEFAULT_RASA_PORT))
    action_port = int(os.environ.get("ACTION_PORT", DEFAULT_ACTION_PORT))
    gateway_port = int(os.environ.get("ANXIN_VOICE_GATEWAY_PORT", DEFAULT_VOICE_GATEWAY_PORT))
    queue_update_seconds = max(1.0, _float_or("ANXIN_QUEUE_UPDATE_SECONDS", 60))
    return Settings(
        database_url=os.environ.get("ANXIN_DATABASE_URL", default_db),
        public_url=os.environ.get("ANXIN_PUBLIC_URL", f"http://localhost:{rasa_port}").rstrip("/"),
        secret_key=os.environ.get("ANXIN_SECRET_KEY", ""),
        # Parsed here so a mistyped value stops the start, not a customer's handoff.
        service_hours=parse_service_hours(os.environ.get("ANXIN_SERVICE_HOURS", "00:00-24:00")),
        service_time_zone=os.environ.get("ANXIN_SERVICE_TIME_ZONE", "Asia/Shanghai"),
        agent_session_hours=float(os.environ.get("ANXIN_AGENT_SESSION_HOURS", "8")),
        agent_idle_minutes=float(os.environ.get("ANXIN_AGENT_IDLE_MINUTES", "30")),
        queue_update_seconds=queue_update_seconds,
        max_agent_identity_checks=int(_float_or("ANXIN_AGENT_IDENTITY_CHECKS", 3)),
        action_host=os.environ.get("ACTION_HOST", "127.0.0.1"),
        action_port=action_port,
        action_server_url=os.environ.get("ACTION_SERVER_URL", f"http://127.0.0.1:{action_port}/webhook"),
        rasa_port=rasa_port,
        action_secret=os.environ.get("ANXIN_ACTION_SECRET", ""),
        rasa_interface=os.environ.get("RASA_INTERFACE", "127.0.0.1"),
        rasa_auth_token=os.environ.get("RASA_AUTH_TOKEN", ""),
        cors_origins=_listed(os.environ.get("ANXIN_CORS_ORIGINS", "")),
        client_messages_per_minute=float(os.environ.get("ANXIN_CLIENT_RATE_LIMIT_PER_MINUTE", "120")),
        client_burst=int(os.environ.get("ANXIN_CLIENT_RATE_LIMIT_BURST", "60")),
        trusted_proxies=tuple(a.strip() for a in os.environ.get("ANXIN_TRUSTED_PROXIES", "").split(",") if a.strip()),
        tracker_store_url=os.environ.get("ANXIN_TRACKER_STORE_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"),
        hotline=os.environ.get("ANXIN_HOTLINE", "400-000-0000").strip() or "400-000-0000",
        demo_mode=os.environ.get("ANXIN_DEMO_MODE", "").strip().lower() in ("1", "true", "yes", "on"),
        rate_limit_per_minute=float(os.environ.get("ANXIN_RATE_LIMIT_PER_MINUTE", "30")),
        rate_limit_burst=int(os.environ.get("ANXIN_RATE_LIMIT_BURST", "10")),
        telegram_bot_token=os.environ.get("TELEGRAM_BOT_TOKEN", "").strip(),
        telegram_api_url=(os.environ.get("TELEGRAM_API_URL", "").strip() or Settings.telegram_api_url).rstrip("/"),
        telegram_webhook_secret=os.environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip(),
        telegram_mode=os.environ.get("TELEGRAM_MODE", "webhook").strip().lower(),
        telegram_webhook_url=os.environ.get("TELEGRAM_WEBHOOK_URL", "").strip(),
        phone_stream_token=os.environ.get("ANXIN_PHONE_STREAM_TOKEN", ""),
        twilio_auth_token=os.environ.get("TWILIO_AUTH_TOKEN", ""),
        phone_end_silence_s=_float_or("ANXIN_PHONE_END_SILENCE_S", 1.8),
        phone_max_turn_s=_float_or("ANXIN_PHONE_MAX_TURN_S", 20.0),
        phone_onset_s=_float_or("ANXIN_PHONE_ONSET_S", 0.15),
        phone_barge_in_s=_float_or("ANXIN_PHONE_BARGE_IN_S", 0.6),
        phone_early_asr_s=_float_or("ANXIN_PHONE_EARLY_ASR_S", 0.6),
        phone_smart_turn=os.environ.get("ANXIN_PHONE_SMART_TURN", "on").strip().lower() != "off",
        phone_smart_pause_s=_float_or("ANXIN_PHONE_SMART_PAUSE_S", 0.25),
        phone_unfinished_silence_s=_float_or("ANXIN_PHONE_UNFINISHED_SILENCE_S", 2.2),
        reminder_interval_seconds=float(os.environ.get("ANXIN_REMINDER_INTERVAL_SECONDS", "60")),
        reminder_scan_seconds=float(os.environ.get("ANXIN_REMINDER_SCAN_SECONDS", "900")),
        asr_engine=os.environ.get("ANXIN_ASR_ENGINE", "faster-whisper"),
        asr_max_seconds=float(os.environ.get("ANXIN_ASR_MAX_SECONDS", "30")),
        asr_no_speech=float(os.environ.get("ANXIN_ASR_NO_SPEECH", "0.6")),
        asr_beam=int(os.environ.get("ANXIN_ASR_BEAM", "2")),
        asr_threads=int(os.environ.get("ANXIN_ASR_THREADS", str(os.cpu_count() or 1))),
        asr_encoder_margin=int(os.environ.get("ANXIN_ASR_ENCODER_MARGIN", "300")),
        asr_encoder_min=int(os.environ.get("ANXIN_ASR_ENCODER_MIN", "1500")),
        whisper_model=os.environ.get("ANXIN_WHISPER_MODEL", "base"),
        whisper_cache=Path(os.environ.get("ANXIN_WHISPER_CACHE", PROJECT_ROOT / "var" / "whisper")),
        smart_turn_model=Path(os.environ["ANXIN_SMART_TURN_MODEL"]) if os.environ.get("ANXIN_SMART_TURN_MODEL") else None,
        tts_rate=os.environ.get("ANXIN_TTS_RATE", "-15%"),
        tts_edge_timeout=float(os.environ.get("ANXIN_TTS_EDGE_TIMEOUT", "1.5")),
        tts_breaker_seconds=float(os.environ.get("ANXIN_TTS_BREAKER_SECONDS", "60")),
        tts_cache=Path(os.environ.get("ANXIN_TTS_CACHE", PROJECT_ROOT / "var" / "tts-cache")),
        voice_max_seconds=float(os.environ.get("ANXIN_VOICE_MAX_SECONDS", "60")),
        voice_reply_dir=Path(os.environ.get("ANXIN_VOICE_REPLY_DIR", PROJECT_ROOT / "var" / "voice-replies")),
        voice_reply_ttl=float(os.environ.get("ANXIN_VOICE_REPLY_TTL", "3600")),
        voice_preload=os.environ.get("ANXIN_VOICE_PRELOAD", "1") == "1",
        lock_store_url=os.environ.get("ANXIN_LOCK_STORE_URL", "").strip(),
        event_broker_url=os.environ.get("ANXIN_EVENT_BROKER_URL", "").strip(),
        event_queue=os.environ.get("ANXIN_EVENT_QUEUE", "anxin_events").strip() or "anxin_events",
        sanic_workers=int(os.environ.get("SANIC_WORKERS", "1") or "1"),
        queue_check_seconds=_float_or("ANXIN_QUEUE_CHECK_SECONDS", min(15.0, queue_update_seconds / 3)),
        voice_gateway_port=gateway_port,
        voice_gateway_interface=os.environ.get("ANXIN_VOICE_GATEWAY_INTERFACE", "127.0.0.1"),
        voice_gateway_url=os.environ.get("ANXIN_VOICE_GATEWAY_URL", f"http://127.0.0.1:{gateway_port}").rstrip("/"),
        gateway_rasa_url=os.environ.get("ANXIN_GATEWAY_RASA_URL", f"http://127.0.0.1:{rasa_port}").rstrip("/"),
        gateway_secret=os.environ.get("ANXIN_GATEWAY_SECRET", ""),
    )


def shell_environment(settings: Settings) -> Dict[str, str]:
    """The variables scripts/env.sh exports: read by shell scripts and by Rasa's ${VAR}s in bot/endpoints.yml."""
    return {
        "ANXIN_DATABASE_URL": settings.database_url,
        "ANXIN_TRACKER_STORE_URL": settings.tracker_store_url,
        "ANXIN_PUBLIC_URL": settings.public_url,
        "RASA_PORT": str(settings.rasa_port),
        "ACTION_PORT": str(settings.action_port),
        "ACTION_SERVER_URL": settings.action_server_url,
        "ANXIN_VOICE_GATEWAY_PORT": str(settings.voice_gateway_port),
    }


if __name__ == "__main__":  # scripts/env.sh: `eval` these shell assignments (values set already are kept)
    import shlex

    for name, value in shell_environment(get_settings()).items():
        print(f"{name}={shlex.quote(value)}")
