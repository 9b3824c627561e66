"""The human lane's safety net on every channel: words asking for a person reach action_handoff,
mid-form too, and a look-alike does not (bot/nlu/human_request.py, issue 16).

One server pair with every channel on (REST, socket.io, Telegram against the local fake Bot API,
voice messages, the phone stream); nobody is online in the console, so a handoff offers a call-back.
"""
from __future__ import annotations

import asyncio
import itertools
import time
import uuid

import pytest
import requests

from tests.bot.telegram.telegram_user import TelegramUser
from tests.servers import TEST_TOKEN, Servers, new_sender, socketio_chat, texts
from tests.voice.phone.caller_audio import silence, spoken_mulaw
from tests.voice.phone.carrier import FakeTwilio
from tests.voice.phone.test_phone_calls import PHONE_TOKEN, TWILIO_AUTH, UNKNOWN, reply_after
from tests.voice.speech import speech_wav

HANDOFF = "action_handoff"


@pytest.fixture(scope="module")
def every_channel(channel_servers):
    """The channel pair (tests/conftest.py): Telegram, voice messages and the phone on, nobody online."""
    return channel_servers


def actions_after_last_user_turn(servers: Servers, sender: str):
    events = requests.get(f"{servers.url}/conversations/{sender}/tracker", params={"token": TEST_TOKEN},
                          timeout=30).json()["events"]
    last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
    return [e.get("name") for e in events[last_user:] if e["event"] == "action"]


def wait_for_handoff(servers: Servers, sender: str, timeout: float = 90) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if HANDOFF in actions_after_last_user_turn(servers, sender):
                return True
        except (ValueError, KeyError):  # no user turn yet
            pass
        time.sleep(0.5)
    return False


@pytest.mark.parametrize("words", ["I'd like to speak to someone, please", "那个就是，我要转人工", "搵真人",
                                   "轉人攻", "客服", "could I please talk to a person"])
def test_rest_words_asking_for_a_person_reach_a_person(every_channel, words):
    sender = new_sender()
    every_channel.say(sender, words)
    assert HANDOFF in actions_after_last_user_turn(every_channel, sender)


@pytest.mark.parametrize("words", ["I'd like to speak to someone, please", "人工", "搵真人"])
def test_rest_mid_form_the_words_leave_the_form_for_a_person(every_channel, words):
    sender = new_sender()
    assert "手机" in texts(every_channel.say(sender, "我要查保单"))  # the identity form asks the phone
    every_channel.say(sender, words)
    actions = actions_after_last_user_turn(every_channel, sender)
    assert HANDOFF in actions


@pytest.mark.parametrize("words", ["你是真人吗", "are you a real person?", "人工智能是什么"])
def test_rest_look_alikes_do_not_hand_off(every_channel, words):
    sender = new_sender()
    every_channel.say(sender, words)
    assert HANDOFF not in actions_after_last_user_turn(every_channel, sender)


def test_rest_the_button_payload_reaches_a_person(every_channel):
    sender = new_sender()
    every_channel.say(sender, "/request_human")
    assert HANDOFF in actions_after_last_user_turn(every_channel, sender)


def test_socketio_words_reach_a_person(every_channel):
    with socketio_chat(every_channel.url) as (client, replies, session_id):
        client.emit("user_uttered", {"message": "may I speak with a human please", "session_id": session_id})
        replies.get(timeout=60)
        assert wait_for_handoff(every_channel, session_id)


_telegram_ids = itertools.count(int(time.time() * 1000) % 10**9 + 2 * 10**9)


def test_telegram_words_reach_a_person(every_channel, bot_api):
    user = TelegramUser(every_channel, bot_api, next(_telegram_ids), "zh-hant", "大文")
    user.send("唔該幫我搵個真人")
    assert wait_for_handoff(every_channel, str(user.id))


def test_voice_message_transcript_reaches_a_person(every_channel):
    sender = f"voice-{uuid.uuid4().hex[:8]}"
    reply = requests.post(f"{every_channel.url}/webhooks/voice/message", params={"sender": sender},
                          data=speech_wav("I would like to speak to a real person, please.", "en"),
                          headers={"Content-Type": "audio/wav"}, timeout=120)
    assert reply.status_code == 200, reply.text
    assert HANDOFF in actions_after_last_user_turn(every_channel, sender), reply.json()["transcript"]


@pytest.mark.parametrize("how", ["speech", "key 0"])
def test_phone_words_and_key_0_reach_a_person(every_channel, how):
    sid = f"CAwords{uuid.uuid4().hex[:8]}"
    url = every_channel.url.replace("http://", "ws://") + "/webhooks/phone/stream"

    async def call():
        async with FakeTwilio(url, PHONE_TOKEN, caller=UNKNOWN, call_sid=sid, auth_token=TWILIO_AUTH) as phone:
            await reply_after(phone, 0)  # the welcome
            since = len(phone.received)
            if how == "key 0":
                await phone.press("0")
            else:
                await phone.stream(spoken_mulaw("I want to speak to a real person, please.", "en") + silence(2.4))
            await reply_after(phone, since)

    asyncio.run(call())
    assert wait_for_handoff(every_channel, sid)
