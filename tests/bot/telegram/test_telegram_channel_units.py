"""The channel's parts that need no Rasa model: paging, long payloads, long polling, the channel off.

The bot behind the channel is replaced by a recorder of the turns it would get (Rasa's
`on_new_message` callback); the Bot API is the local fake, the database a real SQLite file.
"""
from __future__ import annotations

import asyncio
import json

import pytest
from aiogram import types

from bot.channels.telegram import TelegramInput
from actions.service.messaging.telegram_store import first_time_seen
from tests.bot.telegram.fake_bot_api import FakeBotApi

TOKEN = "42:UnitTestTokenForTheFakeBotApi"
CHAT = 5550001


@pytest.fixture
def bot_api():
    api = FakeBotApi(TOKEN).start()
    yield api
    api.stop()


def channel_with_recorder(bot_api, mode="webhook"):
    channel = TelegramInput(token=TOKEN, secret="s", api_url=bot_api.url, mode=mode)
    turns = []

    async def on_new_message(message):
        turns.append(message.text)
        await message.output_channel.send_response(message.sender_id, {"text": f"echo {message.text}"})
    channel.blueprint(on_new_message)
    return channel, turns


def callback(data: str, message_id: int = 77) -> types.CallbackQuery:
    user = {"id": CHAT, "is_bot": False, "first_name": "建国"}
    return types.CallbackQuery.to_object({
        "id": f"q-{data}", "from": user, "chat_instance": "1", "data": data,
        "message": {"message_id": message_id, "date": 0, "chat": {"id": CHAT, "type": "private"}, "text": "…"}})


def test_long_lists_are_paged_and_long_payloads_kept_behind_short_keys(demo_db, bot_api):
    channel, turns = channel_with_recorder(bot_api)
    long_payload = '/inform{"policy_number":"P2019000001","note":"' + "很长" * 20 + '"}'
    buttons = [{"title": f"保单 {i}", "payload": f'/inform{{"n":{i}}}'} for i in range(9)]
    buttons[7]["payload"] = long_payload

    async def scenario():
        await channel.delivery.deliver(CHAT, [{"text": "请选择", "buttons": buttons}], "zh-Hans")
        sent = [c.params["reply_markup"] for c in bot_api.calls_of("sendMessage")]
        first = sent[0]["inline_keyboard"]
        # Only inline buttons in the turn: the persistent keyboard (human button first) follows.
        assert sent[1]["keyboard"][0] == [{"text": "🧑‍💼 转人工 / Human"}]
        assert [b["text"] for row in first[:-1] for b in row] == [f"保单 {i}" for i in range(6)]
        assert [len(row) for row in first[:-1]] == [2, 2, 2]
        [next_page] = first[-1]
        assert next_page["text"] == "下一页 ▶"
        for row in first:
            for button in row:
                assert len(button["callback_data"].encode()) <= 64
        await channel.on_callback_query(callback(next_page["callback_data"]))
        edit = bot_api.calls_of("editMessageReplyMarkup")[-1].params
        assert edit["message_id"] == 77  # a JSON body, as the one Telegram client sends it
        second = edit["reply_markup"]["inline_keyboard"]
        assert [b["text"] for row in second[:-1] for b in row] == ["保单 6", "保单 7", "保单 8"]
        assert second[-1][0]["text"] == "◀ 上一页"
        long_button = second[0][1]
        assert long_button["callback_data"].startswith("tg:p:")
        await channel.on_callback_query(callback(long_button["callback_data"]))
        await channel.on_callback_query(callback(second[0][0]["callback_data"]))
        await channel.api.close()

    asyncio.run(scenario())
    assert turns == [long_payload, '/inform{"n":6}']
    assert len(bot_api.calls_of("answerCallbackQuery")) == 3  # every press stops its spinner


def test_unknown_button_key_after_a_restart_is_answered_politely(demo_db, bot_api):
    channel, turns = channel_with_recorder(bot_api)

    async def scenario():
        await channel.on_callback_query(callback("tg:p:forgotten"))
        await channel.on_callback_query(callback("tg:pg:forgotten:1"))
        await channel.api.close()

    asyncio.run(scenario())
    assert turns == []
    assert [c.params["text"] for c in bot_api.calls_of("sendMessage")] == ["这个按钮已过期，请再说一次您要办的事。"] * 2


def test_long_polling_takes_updates_once_and_answers(demo_db, bot_api):
    channel, turns = channel_with_recorder(bot_api, mode="polling")
    text_update = {"update_id": 9001, "message": {"message_id": 1, "date": 0, "text": "你好",
                                                  "chat": {"id": CHAT, "type": "private"},
                                                  "from": {"id": CHAT, "is_bot": False, "first_name": "建国"}}}
    bot_api.updates.append(text_update)

    async def scenario():
        channel._spawn(channel._start_bot())
        for _ in range(200):
            if turns and bot_api.calls_of("sendMessage"):
                break
            await asyncio.sleep(0.05)
        # Let the poller ask again: the update must not come back (offset moved past it).
        await asyncio.sleep(1.2)
        for task in list(channel._tasks):
            task.cancel()
        await channel.api.close()

    asyncio.run(scenario())
    assert turns == ["你好"]
    assert bot_api.calls_of("deleteWebhook")  # getUpdates only works without a webhook
    offsets = [int(c.params.get("offset", 0)) for c in bot_api.calls_of("getUpdates")]
    assert offsets[0] == 0 and 9002 in offsets
    assert bot_api.calls_of("sendMessage", chat_id=CHAT)[0].params["text"] == "echo 你好"


def test_update_ids_are_remembered_in_the_database(demo_db):
    assert first_time_seen(123456) is True
    assert first_time_seen(123456) is False  # also after a restart: the row is in the database
    assert first_time_seen(123457) is True


def test_without_a_token_the_channel_is_off_and_rasa_still_starts(monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    channel = TelegramInput.from_credentials({})
    assert channel.get_output_channel() is None
    blueprint = channel.blueprint(lambda message: None)  # builds without a network call
    assert blueprint.name == "telegram_webhook"


def test_a_mistyped_token_turns_the_channel_off_instead_of_stopping_rasa():
    channel = TelegramInput.from_credentials({"access_token": "not a token"})
    assert channel.api is None and channel.get_output_channel() is None


def test_group_chats_get_no_policy_talk(demo_db, bot_api):
    channel, turns = channel_with_recorder(bot_api)
    message = types.Message.to_object({"message_id": 1, "date": 0, "text": "我的保单",
                                       "chat": {"id": -100, "type": "group", "title": "家人"},
                                       "from": {"id": CHAT, "is_bot": False, "first_name": "建国"}})

    async def scenario():
        await channel.on_message(message)
        await channel.api.close()

    asyncio.run(scenario())
    assert turns == []
    assert "私聊" in bot_api.calls_of("sendMessage")[0].params["text"]
    assert json.dumps(bot_api.calls_of("sendMessage")[0].params).count("chat_id") == 1
