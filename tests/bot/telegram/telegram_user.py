"""A Telegram customer as the tests play one: updates posted to the channel pair's webhook.

In a module of its own, so the update and message counters exist once per run: pytest loads
tests/bot/telegram/conftest.py apart from `import tests.bot.telegram.conftest`, and the channel
drops an update id it has seen, whichever test sent it.
"""
from __future__ import annotations

import itertools
import time
from typing import Callable, List, Optional

import requests

from tests.bot.telegram.fake_bot_api import ApiCall, FakeBotApi
from tests.servers import TELEGRAM_SECRET as SECRET, Servers

_update_ids = itertools.count(500_000)
_message_ids = itertools.count(1)


class TelegramUser:
    """A customer in a private chat, as Telegram would report them in updates."""

    def __init__(self, servers: Servers, api: FakeBotApi, user_id: int, language_code: str = "zh-hans",
                 name: str = "建国") -> None:
        self.servers, self.api, self.id = servers, api, user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": name, "language_code": language_code}
        self.chat = {"id": user_id, "type": "private", "first_name": name}

    @property
    def webhook(self) -> str:
        return f"{self.servers.url}/webhooks/telegram/webhook"

    def post(self, update: dict, secret: Optional[str] = SECRET) -> requests.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return requests.post(self.webhook, json=update, headers=headers, timeout=30)

    def message(self, **content) -> dict:
        return {"update_id": next(_update_ids),
                "message": {"message_id": next(_message_ids), "date": int(time.time()), "chat": self.chat,
                            "from": self.user, **content}}

    def send(self, text: str) -> dict:
        update = self.message(text=text)
        assert self.post(update).status_code == 200
        return update

    def press(self, data: str, message_id: int = 1) -> dict:
        update = {"update_id": next(_update_ids),
                  "callback_query": {"id": f"cb{next(_message_ids)}", "from": self.user, "chat_instance": "-1",
                                     "data": data,
                                     "message": {"message_id": message_id, "date": int(time.time()),
                                                 "chat": self.chat, "text": "…"}}}
        assert self.post(update).status_code == 200
        return update

    def sent(self, *methods: str) -> List[ApiCall]:
        return self.api.calls_of(*(methods or ("sendMessage",)), chat_id=self.id)

    def wait_for(self, predicate: Callable[[ApiCall], bool], method: str = "sendMessage", after: int = 0,
                 timeout: float = 90) -> ApiCall:
        """The first call to this chat (from the `after`-th on) that satisfies predicate."""
        def found(_calls):
            return any(predicate(c) for c in self.sent(method)[after:])
        self.api.wait_for(found, timeout=timeout)
        return next(c for c in self.sent(method)[after:] if predicate(c))

    def wait_text(self, fragment: str, after: int = 0, timeout: float = 90) -> ApiCall:
        return self.wait_for(lambda c: fragment in str(c.params.get("text", "")), after=after, timeout=timeout)
