"""Shared fixtures: a fresh, seeded SQLite business database (real, no mocks)."""
from __future__ import annotations

from contextlib import ExitStack
from types import SimpleNamespace

import pytest

from actions.service.core import db, settings
from actions.service.core.db import session_scope
from actions.service.core.models import Customer


def clear_service_caches() -> None:
    """Settings, engine and session factory are cached: forget them so the next call reads the env."""
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    db._session_factory.cache_clear()


@pytest.fixture(autouse=True)
def fresh_settings():
    """Settings are read once and cached: every test starts from, and leaves, the environment as it is."""
    settings.get_settings.cache_clear()
    yield
    settings.get_settings.cache_clear()


@pytest.fixture
def demo_db(tmp_path, monkeypatch):
    """Point the service layer at a new SQLite file and seed the demo customers; undo it afterwards."""
    from actions.service.seed import seed_demo_data

    url = f"sqlite:///{tmp_path / 'anxin.db'}"
    monkeypatch.setenv("ANXIN_DATABASE_URL", url)
    monkeypatch.setenv("ANXIN_PUBLIC_URL", "https://anxin.test")
    monkeypatch.setenv("ANXIN_SECRET_KEY", "test-secret")  # signs identity proofs (no .env needed)
    clear_service_caches()
    seed_demo_data()
    yield url
    db.get_engine(url).dispose()
    clear_service_caches()


@pytest.fixture
def customers(demo_db):
    """The demo customers' ids: 王建国 (wang), 张秀英 (zhang), 陳大文 (chan), Emily Li (emily)."""
    with session_scope() as session:
        ids = {phone: id_ for phone, id_ in session.query(Customer.phone, Customer.id)}
    return SimpleNamespace(wang=ids["13800000001"], zhang=ids["13900000002"], chan=ids["85291234567"],
                           emily=ids["13700000003"])


@pytest.fixture
def postgres_db(monkeypatch):
    """A throwaway PostgreSQL database for the service layer (dropped afterwards); skipped without a server."""
    from tests.throwaway_postgres import NoPostgres, throwaway_database

    with ExitStack() as cleanup:
        try:
            url = cleanup.enter_context(throwaway_database())
        except NoPostgres as error:  # no server here: nothing to test against
            pytest.skip(str(error))
        monkeypatch.setenv("ANXIN_DATABASE_URL", url)
        monkeypatch.setenv("ANXIN_PUBLIC_URL", "https://anxin.test")
        clear_service_caches()
        yield url
        db.get_engine(url).dispose()
        clear_service_caches()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request):
    """The seeded SQLite file, then a throwaway PostgreSQL database (skipped where no server runs)."""
    return request.getfixturevalue("demo_db" if request.param == "sqlite" else "postgres_db")


@pytest.fixture(scope="session")
def trained_agent():
    """The trained model loaded once in this process (the NLU gate and the human-request net parse with it)."""
    from tests.nlu_eval import load_agent
    from tests.servers import MODEL, require_model

    require_model()
    return load_agent(str(MODEL))


# --- Real server pairs shared by many modules -------------------------------------------------------
# A pair takes a minute or more to start on a busy 2-core machine: modules whose settings fit share one
# of these two, started once per run. Tests on them use their own senders, chats and call ids
# (new_sender(), uuid) and sign no agent in; modules that need an agent online, paid premiums, other
# settings or a restart start their own pair.

@pytest.fixture(scope="session")
def bot_api():
    """The local fake Telegram Bot API (tests/bot/telegram/fake_bot_api.py) the channel pair talks to."""
    from tests.bot.telegram.fake_bot_api import FakeBotApi
    from tests.servers import TELEGRAM_TOKEN

    api = FakeBotApi(TELEGRAM_TOKEN).start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def standard_servers(tmp_path_factory):
    """REST, socket.io, voice messages and the web pages: conversation/, the web chat page and voice messages.

    The per-sender burst stays 20 (test_rest_conversations floods one sender with 30 messages); the
    urgent number is tests.servers.TEST_HOTLINE, so the web page's test can tell it is the configured one.
    """
    from tests.servers import TEST_HOTLINE, Servers, require_model, spoken_reply_env

    require_model()
    workdir = tmp_path_factory.mktemp("standard")
    running = Servers(workdir, preload_voice=True, extra_env={"ANXIN_RATE_LIMIT_BURST": "20",
                                                              "ANXIN_HOTLINE": TEST_HOTLINE,
                                                              **spoken_reply_env(workdir)}).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def channel_servers(tmp_path_factory, bot_api):
    """Every channel on: the standard ones plus Telegram (against bot_api) and the phone stream (Twilio-signed).

    Telegram, the phone calls and the human request on every channel share it; nobody is online in the
    console, so a handoff offers a call-back.
    """
    from tests.servers import (PHONE_TOKEN, TELEGRAM_SECRET, TELEGRAM_TOKEN, TWILIO_AUTH, Servers, require_model,
                               spoken_reply_env)

    require_model()
    workdir = tmp_path_factory.mktemp("channels")
    running = Servers(workdir, preload_voice=True, extra_env={
        "ANXIN_RATE_LIMIT_BURST": "30",
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_URL": bot_api.url, "TELEGRAM_MODE": "webhook",
        "ANXIN_PHONE_STREAM_TOKEN": PHONE_TOKEN, "TWILIO_AUTH_TOKEN": TWILIO_AUTH,
        **spoken_reply_env(workdir)}).start()
    yield running
    running.stop()
