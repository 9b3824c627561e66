"""A real action server + Rasa server with the Telegram channel on, talking to a local fake Bot API."""
from __future__ import annotations

import itertools
import time
from typing import Callable, List, Optional

import pytest
import requests

from tests.bot.telegram.fake_bot_api import ApiCall, FakeBotApi
from tests.servers import MODEL, Servers, shifted_port

TOKEN = "123456789:AAFakeTokenForTheLocalBotApi_0123456"
SECRET = "test-webhook-secret"
_update_ids = itertools.count(500_000)
_message_ids = itertools.count(1)


@pytest.fixture(scope="session")
def bot_api():
    api = FakeBotApi(TOKEN).start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def telegram_servers(tmp_path_factory, bot_api):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it first)")
    workdir = tmp_path_factory.mktemp("telegram")
    running = Servers(workdir, rasa_port=shifted_port(15205), action_port=shifted_port(15255),
                      extra_env={"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
                                 "TELEGRAM_API_URL": bot_api.url, "TELEGRAM_MODE": "webhook",
                                 "ANXIN_RATE_LIMIT_BURST": "30",
                                 # Voice replies: edge-tts is unreachable here, espeak-ng speaks after 1.5 s.
                                 "ANXIN_TTS_EDGE_TIMEOUT": "1.5", "ANXIN_TTS_CACHE": str(workdir / "tts"),
                                 "ANXIN_VOICE_REPLY_DIR": str(workdir / "replies")}).start()
    yield running
    running.stop()


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


@pytest.fixture
def new_user(telegram_servers, bot_api):
    ids = itertools.count(int(time.time() * 1000) % 10**9 + 10**9)

    def make(language_code: str = "zh-hans", name: str = "建国") -> TelegramUser:
        return TelegramUser(telegram_servers, bot_api, next(ids), language_code, name)
    return make
