"""The Bot API as the Rasa server's event loop uses it: aiogram 2's Bot, with retries and no raising.

aiogram 2.15 (what Rasa 3.6 pins) predates newer Bot API fields (`is_persistent`, `secret_token`),
so methods go through `Bot.request` with plain dicts; aiogram supplies the HTTP session, the
request encoding, the error classes and `TelegramAPIServer` (which lets tests use a local fake).
Every call returns None on failure after logging it; the conversation itself is never lost
(Rasa's tracker already holds the bot's answer) and the server never crashes on a Telegram error.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.utils.exceptions import RetryAfter, TelegramAPIError
from aiogram.utils.payload import prepare_arg

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
# Same policy as actions/service/messaging/telegram_client.py: a few retries on 429, only for short waits.
MAX_RATE_LIMIT_RETRIES = 3
MAX_RETRY_WAIT_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 60
UPDATE_KINDS = ["message", "edited_message", "callback_query"]


class TelegramApi:
    def __init__(self, token: str, api_url: str = DEFAULT_API_URL) -> None:
        self._token = token
        self.bot = Bot(token, server=TelegramAPIServer.from_base(api_url.rstrip("/")),
                       timeout=REQUEST_TIMEOUT_SECONDS)
        self.failures = 0
        self.last_error = ""

    async def call(self, method: str, params: Dict[str, Any], files: Optional[Dict[str, Any]] = None) -> Any:
        """One Bot API method; the result, or None after logging why it failed."""
        data = {key: prepare_arg(value) for key, value in params.items() if value is not None}
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            try:
                return await self.bot.request(method, data, files)
            except RetryAfter as error:
                if attempt < MAX_RATE_LIMIT_RETRIES and error.timeout <= MAX_RETRY_WAIT_SECONDS:
                    logger.info("telegram %s rate-limited, retrying in %ss", method, error.timeout)
                    await asyncio.sleep(error.timeout)
                    continue
                self._failed(method, params, f"rate-limited for {error.timeout}s")
                return None
            except (TelegramAPIError, asyncio.TimeoutError, OSError) as error:
                # BotBlocked / ChatNotFound / NetworkError...: retrying will not help now.
                self._failed(method, params, f"{type(error).__name__}: {error}")
                return None
        return None

    def _failed(self, method: str, params: Dict[str, Any], reason: str) -> None:
        reason = reason.replace(self._token, "<token>")
        self.failures += 1
        self.last_error = f"{method}: {reason}"
        logger.error("telegram %s to chat %s failed: %s", method, params.get("chat_id"), reason)

    async def send_message(self, chat_id: Any, text: str, reply_markup: Optional[dict] = None) -> Optional[dict]:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text, "reply_markup": reply_markup})

    async def send_document(self, chat_id: Any, filename: str, data: bytes, caption: str = "") -> Optional[dict]:
        return await self.call("sendDocument", {"chat_id": chat_id, "caption": caption or None},
                               files={"document": (filename, data)})

    async def send_voice(self, chat_id: Any, ogg: bytes, caption: str = "") -> Optional[dict]:
        return await self.call("sendVoice", {"chat_id": chat_id, "caption": caption or None},
                               files={"voice": ("voice.ogg", ogg)})

    async def send_photo(self, chat_id: Any, url: str, caption: str = "") -> Optional[dict]:
        return await self.call("sendPhoto", {"chat_id": chat_id, "photo": url, "caption": caption or None})

    async def answer_callback_query(self, callback_query_id: str, text: str = "") -> None:
        await self.call("answerCallbackQuery", {"callback_query_id": callback_query_id, "text": text or None})

    async def edit_reply_markup(self, chat_id: Any, message_id: int, reply_markup: dict) -> None:
        await self.call("editMessageReplyMarkup",
                        {"chat_id": chat_id, "message_id": message_id, "reply_markup": reply_markup})

    async def set_my_commands(self, commands: List[dict], language_code: str = "") -> None:
        await self.call("setMyCommands", {"commands": commands, "language_code": language_code or None})

    async def set_webhook(self, url: str, secret_token: str) -> bool:
        return bool(await self.call("setWebhook", {"url": url, "secret_token": secret_token,
                                                   "allowed_updates": UPDATE_KINDS}))

    async def delete_webhook(self) -> bool:
        return bool(await self.call("deleteWebhook", {}))

    async def get_updates(self, offset: int, timeout: int) -> Optional[List[dict]]:
        return await self.call("getUpdates", {"offset": offset, "timeout": timeout, "allowed_updates": UPDATE_KINDS})

    async def download(self, file_id: str) -> Optional[bytes]:
        """A file the customer sent (voice note), or None."""
        file = await self.call("getFile", {"file_id": file_id})
        if not file or not file.get("file_path"):
            return None
        try:
            data = await self.bot.download_file(file["file_path"])
            return data.getvalue()
        except Exception as error:  # aiohttp / HTTP errors: the customer is asked to try again
            self._failed("downloadFile", {}, f"{type(error).__name__}: {error}")
            return None

    async def close(self) -> None:
        session = self.bot._session  # aiogram 2 creates it lazily; close only what exists
        if session is not None and not session.closed:
            await session.close()
