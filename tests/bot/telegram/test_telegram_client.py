"""actions/service/messaging/telegram_client.py against the local fake Bot API: sends, retries, errors, no token
in logs."""
from __future__ import annotations

import logging

import pytest

from actions.service.core.settings import get_settings
from actions.service.messaging import telegram_client
from tests.bot.telegram.fake_bot_api import FakeBotApi

TOKEN = "123456:TEST-token-for-the-fake-api"
CHAT = 424242


@pytest.fixture
def bot_api(monkeypatch):
    api = FakeBotApi(TOKEN).start()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", api.url)
    get_settings.cache_clear()
    yield api
    api.stop()


def test_send_message_with_keyboard(bot_api):
    keyboard = {"keyboard": [[{"text": "🧑‍💼 转人工 / Human"}]], "is_persistent": True, "resize_keyboard": True}
    result = telegram_client.send_message(CHAT, "您的保费 3 天后到期", reply_markup=keyboard)
    assert result.ok and result.message_id and result.error == ""
    [call] = bot_api.calls_of("sendMessage")
    assert call.params == {"chat_id": CHAT, "text": "您的保费 3 天后到期", "reply_markup": keyboard}


def test_send_document_and_voice_upload_the_bytes(bot_api):
    pdf = b"%PDF-1.4 fake invoice body"
    assert telegram_client.send_document(CHAT, "invoice.pdf", pdf, caption="电子发票").ok
    assert telegram_client.send_voice(CHAT, b"OggS\x00voice", caption="语音").ok
    [document] = bot_api.calls_of("sendDocument")
    assert document.files["document"] == pdf and document.filenames["document"] == "invoice.pdf"
    assert document.params == {"chat_id": str(CHAT), "caption": "电子发票"}
    [voice] = bot_api.calls_of("sendVoice")
    assert voice.files["voice"] == b"OggS\x00voice" and voice.params["caption"] == "语音"


def test_429_is_retried_after_retry_after(bot_api):
    bot_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    result = telegram_client.send_message(CHAT, "hello")
    assert result.ok
    first, second = bot_api.calls_of("sendMessage")
    # Telegram said wait 1 s: the retry did not come earlier.
    assert second.at - first.at >= 0.95


def test_rate_limit_that_does_not_end_is_reported_not_raised(bot_api, monkeypatch):
    monkeypatch.setattr(telegram_client, "MAX_RATE_LIMIT_RETRIES", 1)
    bot_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=5)
    result = telegram_client.send_message(CHAT, "hello")
    assert not result.ok and result.retry_after == 1 and result.error_code == 429
    assert len(bot_api.calls_of("sendMessage")) == 2  # the first try and one retry, then give up


def test_long_retry_after_is_handed_back_without_waiting(bot_api):
    bot_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3600", retry_after=3600)
    result = telegram_client.send_message(CHAT, "hello")
    assert not result.ok and result.retry_after == 3600
    assert len(bot_api.calls_of("sendMessage")) == 1


@pytest.mark.parametrize("code, description", [
    (403, "Forbidden: bot was blocked by the user"),
    (400, "Bad Request: chat not found"),
])
def test_telegram_errors_are_logged_and_returned(bot_api, caplog, code, description):
    bot_api.fail_next("sendMessage", code, description)
    with caplog.at_level(logging.ERROR, logger="actions.service.messaging.telegram_client"):
        result = telegram_client.send_message(CHAT, "hello")
    assert not result.ok and result.error == description and result.error_code == code
    assert result.blocked == (code == 403)
    assert description in caplog.text and TOKEN not in caplog.text


def test_network_failure_is_returned_and_token_never_logged(monkeypatch, caplog):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    get_settings.cache_clear()
    monkeypatch.setattr(telegram_client, "NETWORK_RETRY_PAUSE_SECONDS", 0)
    with caplog.at_level(logging.DEBUG):
        result = telegram_client.send_voice(CHAT, b"OggS")
    assert not result.ok and result.error.startswith("network error")
    assert TOKEN not in result.error and TOKEN not in caplog.text
    assert "sendVoice" in caplog.text


def test_without_a_token_nothing_is_sent(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    get_settings.cache_clear()
    result = telegram_client.send_message(CHAT, "hello")
    assert not result.ok and "TELEGRAM_BOT_TOKEN" in result.error


def test_push_reaches_every_linked_chat_and_reports_each(bot_api, customers):
    from actions.service.customers.channel_links import link_channel
    from actions.service.messaging.telegram_push import chat_language, push_to_customer
    from actions.service.messaging.telegram_store import save_chat_settings

    assert push_to_customer(customers.wang, "提醒") == []  # not linked yet: nothing sent
    link_channel(customers.wang, "telegram", "1001")
    link_channel(customers.wang, "telegram", "1002")
    save_chat_settings("1002", language="yue")
    bot_api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    results = push_to_customer(customers.wang, "您的保费12天后到期")
    assert [chat for chat, _ in results] == ["1001", "1002"]
    assert results[0][1].blocked and results[1][1].ok  # one blocked chat does not stop the other
    assert [c.params["chat_id"] for c in bot_api.calls_of("sendMessage")] == ["1001", "1002"]
    assert chat_language("1002") == "yue" and chat_language("1001") is None
