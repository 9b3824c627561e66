"""The channel pair (tests/conftest.py: Telegram on, talking to the local fake Bot API) and its customers."""
from __future__ import annotations

import itertools
import time

import pytest

from tests.bot.telegram.telegram_user import TelegramUser
from tests.servers import TELEGRAM_SECRET, TELEGRAM_TOKEN

TOKEN, SECRET = TELEGRAM_TOKEN, TELEGRAM_SECRET


@pytest.fixture(scope="session")
def telegram_servers(channel_servers):
    return channel_servers


@pytest.fixture
def new_user(telegram_servers, bot_api):
    ids = itertools.count(int(time.time() * 1000) % 10**9 + 10**9)

    def make(language_code: str = "zh-hans", name: str = "建国") -> TelegramUser:
        return TelegramUser(telegram_servers, bot_api, next(ids), language_code, name)
    return make
