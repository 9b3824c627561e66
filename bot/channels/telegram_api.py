"""The Bot API as the Rasa server's event loop uses it: the one Telegram client, off the loop, never raising.

Every call goes through actions/service/messaging/telegram_client.py (the client the reminder
scheduler and the agents' pushes use too: one retry policy, one token redaction), run in a worker
thread so the server's event loop never waits for Telegram. Every call returns None on failure after
the client logged it; the conversation itself is never lost (Rasa's tracker already holds the bot's
answer) and the server never crashes on a Telegram error.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Dict, List, Optional

from actions.service.core.settings import Settings
from actions.service.messaging import telegram_client

logger = logging.getLogger(__name__)

DEFAULT_API_URL = Settings.telegram_api_url
POLL_READ_MARGIN_SECONDS = 10  # a long poll's answer may take its timeout plus the network's time
UPDATE_KINDS = ["message", "edited_message", "callback_query"]
# Blocking calls in threads of their own: a long poll or a 429 wait must not hold the loop's default
# executor, which Rasa uses too.
_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="telegram")


class TelegramApi:
    def __init__(self, token: str, api_url: str = DEFAULT_API_URL) -> None:
        if not telegram_client.looks_like_a_bot_token(token):
            raise ValueError("not a bot token (digits:letters)")
        self._token = token
        self._api_url = api_url.rstrip("/")
        self.failures = 0
        self.last_error = ""

    async def call(self, method: str, params: Dict[str, Any], files: Optional[Dict[str, Any]] = None,
                   read_timeout: Optional[float] = None) -> Any:
        """One Bot API method; the result, or None after the client logged why it failed."""
        data = {key: value for key, value in params.items() if value is not None}
        sent = await self._in_thread(telegram_client.call, method, data, files, token=self._token,
                                     api_url=self._api_url, read_timeout=read_timeout)
        if sent.ok:
            return sent.result if sent.result is not None else True
        self.failures += 1
        self.last_error = f"{method}: {sent.error}"
        return None

    @staticmethod
    async def _in_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(_pool, partial(function, *args, **kwargs))

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
        return await self.call("getUpdates", {"offset": offset, "timeout": timeout, "allowed_updates": UPDATE_KINDS},
                               read_timeout=timeout + POLL_READ_MARGIN_SECONDS)

    async def download(self, file_id: str) -> Optional[bytes]:
        """A file the customer sent (voice note), or None."""
        file = await self.call("getFile", {"file_id": file_id})
        if not isinstance(file, dict) or not file.get("file_path"):
            return None
        data = await self._in_thread(telegram_client.download_file, file["file_path"], token=self._token,
                                     api_url=self._api_url)
        if data is None:
            self.failures += 1
            self.last_error = "downloadFile: failed"
        return data

    async def close(self) -> None:
        """Nothing to close: the client keeps no session."""
