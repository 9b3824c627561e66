"""The one Telegram Bot API client: proactive messages (reminders, agent replies, claim updates) and,
through bot/channels/telegram_api.py, everything the Telegram channel sends and fetches.

Plain blocking HTTP with `requests`, usable from the action server, the reminder scheduler or a
script. aiogram's `Bot` is async-only and owns an aiohttp session bound to one event loop, so using
it from a scheduler thread or a synchronous job means creating and closing a loop and a session per
call; `requests` needs neither. Async callers run a call in a worker thread (the channel does).

Every function returns a `SendResult` and never raises: a blocked bot, an unknown chat or a network
failure is logged (without the bot token) and reported to the caller, who decides what to surface.
Telegram's 429 answers are retried after their `retry_after`, a bounded number of times.

Config: TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL (default https://api.telegram.org; tests use a local fake),
through the settings; a caller with a token of its own (credentials.yml) passes it.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional, Set

import requests

from actions.service.core.settings import get_settings

logger = logging.getLogger(__name__)

# A 429 is retried at most this many times, and only if Telegram asks for a wait we can afford
# inside one request; a longer wait is handed back (retry_after) so a scheduler can come back later.
MAX_RATE_LIMIT_RETRIES = 3
MAX_RETRY_WAIT_SECONDS = 30
# One retry after a connection failure (a dropped keep-alive connection is common and harmless).
NETWORK_RETRIES = 1
NETWORK_RETRY_PAUSE_SECONDS = 1.0
TIMEOUT_SECONDS = (5, 30)  # connect, read
NOT_CONFIGURED = "telegram is not configured (TELEGRAM_BOT_TOKEN is empty)"


@dataclass(frozen=True)
class SendResult:
    """What happened to one Bot API call. `error` is a log-safe description ("" when ok)."""

    ok: bool
    error: str = ""
    retry_after: Optional[int] = None  # seconds Telegram asked us to wait (still rate-limited)
    message_id: Optional[int] = None
    error_code: Optional[int] = None  # Telegram's HTTP-like code: 400 chat not found, 403 blocked
    result: Any = None  # the method's answer (a message, a list of updates, a file)

    @property
    def blocked(self) -> bool:
        """The customer blocked the bot or deleted the chat: pushes to it will keep failing."""
        return self.error_code == 403


def looks_like_a_bot_token(token: str) -> bool:
    """digits:letters without spaces, as BotFather gives it (anything else is a typo in the config)."""
    user_id, colon, secret = (token or "").partition(":")
    return bool(colon and user_id.isdigit() and secret) and not any(c.isspace() for c in token)


def send_message(chat_id: int | str, text: str, reply_markup: Optional[Dict[str, Any]] = None) -> SendResult:
    """Send a text message (with an optional keyboard, a plain Bot API dict)."""
    payload: Dict[str, Any] = {"chat_id": chat_id, "text": text}
    if reply_markup:
        payload["reply_markup"] = reply_markup
    return call("sendMessage", payload)


def send_document(chat_id: int | str, filename: str, data: bytes, caption: str = "") -> SendResult:
    """Upload a file (an e-invoice PDF, a calendar .ics) as a document."""
    fields: Dict[str, Any] = {"chat_id": chat_id}
    if caption:
        fields["caption"] = caption
    return call("sendDocument", fields, files={"document": (filename, data)})


def send_voice(chat_id: int | str, ogg_bytes: bytes, caption: str = "") -> SendResult:
    """Send an OGG/Opus voice note (shown with a play button and waveform)."""
    fields: Dict[str, Any] = {"chat_id": chat_id}
    if caption:
        fields["caption"] = caption
    return call("sendVoice", fields, files={"voice": ("voice.ogg", ogg_bytes, "audio/ogg")})


def call(method: str, params: Dict[str, Any], files: Optional[Dict[str, Any]] = None, *,
         token: Optional[str] = None, api_url: Optional[str] = None,
         read_timeout: Optional[float] = None) -> SendResult:
    """One Bot API method, with 429 and network retries. Never raises.

    token and api_url default to the settings'; read_timeout is for long polls (getUpdates).
    """
    token = token or _token()
    if not token:
        logger.warning("telegram %s skipped: %s", method, NOT_CONFIGURED)
        return SendResult(ok=False, error=NOT_CONFIGURED)
    _tokens_to_redact.add(token)
    url = f"{(api_url or _api_url()).rstrip('/')}/bot{token}/{method}"
    timeout = (TIMEOUT_SECONDS[0], read_timeout) if read_timeout else TIMEOUT_SECONDS
    rate_limit_retries = network_retries = 0
    while True:
        try:
            response = _post(url, params, files, timeout)
        except requests.RequestException as error:
            reason = _redact(f"network error: {type(error).__name__}: {error}", token)
            if network_retries < NETWORK_RETRIES:
                network_retries += 1
                time.sleep(NETWORK_RETRY_PAUSE_SECONDS)
                continue
            logger.error("telegram %s to chat %s failed: %s", method, params.get("chat_id"), reason)
            return SendResult(ok=False, error=reason)
        result = _result_of(response, token)
        if result.ok:
            return result
        if (result.retry_after is not None and rate_limit_retries < MAX_RATE_LIMIT_RETRIES
                and result.retry_after <= MAX_RETRY_WAIT_SECONDS):
            rate_limit_retries += 1
            logger.info("telegram %s rate-limited, retrying in %ss", method, result.retry_after)
            time.sleep(result.retry_after)
            continue
        logger.error("telegram %s to chat %s failed: %s", method, params.get("chat_id"), result.error)
        return result


def download_file(file_path: str, *, token: Optional[str] = None, api_url: Optional[str] = None) -> Optional[bytes]:
    """A file a customer sent (getFile's file_path), or None after logging why not."""
    token = token or _token()
    if not token:
        return None
    _tokens_to_redact.add(token)
    try:
        response = requests.get(f"{(api_url or _api_url()).rstrip('/')}/file/bot{token}/{file_path}",
                                timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        return response.content
    except requests.RequestException as error:
        logger.error("telegram file download failed: %s", _redact(f"{type(error).__name__}: {error}", token))
        return None


def _post(url: str, params: Dict[str, Any], files: Optional[Dict[str, Any]], timeout: Any) -> requests.Response:
    if files is None:
        return requests.post(url, json=params, timeout=timeout)
    # multipart/form-data: nested values (reply_markup) travel as JSON strings.
    form = {key: json.dumps(value) if isinstance(value, (dict, list)) else str(value)
            for key, value in params.items()}
    return requests.post(url, data=form, files=files, timeout=timeout)


def _result_of(response: requests.Response, token: str) -> SendResult:
    try:
        body = response.json()
    except ValueError:
        return SendResult(ok=False, error=f"HTTP {response.status_code}: not a Bot API answer",
                          error_code=response.status_code)
    if body.get("ok"):
        result = body.get("result")
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return SendResult(ok=True, message_id=message_id, result=result)
    parameters = body.get("parameters") or {}
    retry_after = parameters.get("retry_after")
    return SendResult(
        ok=False,
        error=_redact(str(body.get("description") or f"HTTP {response.status_code}"), token),
        retry_after=int(retry_after) if retry_after is not None else None,
        error_code=body.get("error_code", response.status_code),
    )


def _token() -> str:
    return get_settings().telegram_bot_token


def _api_url() -> str:
    return get_settings().telegram_api_url


def _redact(text: str, token: str) -> str:
    """The token is part of every Bot API URL, and exceptions quote URLs: cut it out."""
    return text.replace(token, "<token>") if token else text


_tokens_to_redact: Set[str] = set()  # the tokens used so far (the settings' and any from credentials.yml)


class _RedactTokenFilter(logging.Filter):
    """urllib3 logs request paths at DEBUG level; the path holds the bot token."""

    def filter(self, record: logging.LogRecord) -> bool:
        tokens = {_token(), *_tokens_to_redact} - {""}
        if tokens:
            message = record.getMessage()
            if any(token in message for token in tokens):
                for token in tokens:
                    message = _redact(message, token)
                record.msg, record.args = message, ()
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactTokenFilter())
