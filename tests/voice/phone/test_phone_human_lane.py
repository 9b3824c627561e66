"""Key 0 on a call with a person online: the call is theirs until they give it back.

A real server pair, a real agent logged in on the console over HTTP, a call streamed as Twilio
streams it. The agent's words are spoken into the call; the caller's speech goes to the agent's
console, not the bot; after the agent resolves, the bot asks for a rating on the keypad.
"""
from __future__ import annotations

import asyncio

import pytest

from tests.bot.console.console_client import Console, create_agents
from tests.voice.hearing import assert_heard, error_rate
from tests.voice.phone.caller_audio import TURN_TAIL_S, silence, spoken_mulaw
from tests.voice.phone.carrier import FakeTwilio
from tests.voice.phone.test_phone_calls import (PHONE_TOKEN, TWILIO_AUTH, UNKNOWN, bot_texts, conversation,
                                                reply_after, same_speech, start_phone_servers, stream_url,
                                                user_texts)
from voice.phone.call import LEAD_SILENCE_S, render_speech, spoken_sentences

SID = "CAlane001"
QUESTION = "我想查一下下次交费是什么时候"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    running = start_phone_servers(tmp_path_factory, "phone-lane")  # its own pair: an agent online pauses calls
    create_agents(running, [("lin", "林", "agent", ["zh-Hans", "zh-Hant", "yue", "en"])])
    yield running
    running.stop()


def test_key_0_puts_the_caller_through_to_a_person_who_speaks_into_the_call(servers):
    console = Console(servers)
    assert console.login("lin").status_code == 200  # an agent online: the call is queued, not offered a call-back

    async def call():
        async with FakeTwilio(stream_url(servers), PHONE_TOKEN, caller=UNKNOWN, call_sid=SID,
                              auth_token=TWILIO_AUTH) as phone:
            await reply_after(phone, 0)  # the welcome
            since = len(phone.received)
            await phone.press("0")
            await reply_after(phone, since)  # "putting you through"

            ticket = await asyncio.to_thread(console.ticket_of, SID)
            assert ticket and ticket["channel"] == "phone"
            assert (await asyncio.to_thread(console.post, f"/api/tickets/{ticket['id']}/take")).status_code == 200
            await reply_after(phone, since := len(phone.received))  # "林 has joined"

            since = len(phone.received)
            reply = await asyncio.to_thread(console.post, f"/api/tickets/{ticket['id']}/reply",
                                            {"text": "您好，我是林，请问有什么可以帮您？"})
            assert reply.json()["delivered"] is True
            await reply_after(phone, since)
            agent_speech = phone.audio(since)

            await phone.stream(spoken_mulaw(QUESTION, "zh") + silence(TURN_TAIL_S))
            heard = []
            for _ in range(60):  # the end of the turn, Whisper and the relay take a few seconds on a busy machine
                await asyncio.sleep(0.5)
                messages = (await asyncio.to_thread(console.get, f"/api/tickets/{ticket['id']}/messages")).json()
                heard = [m["text"] for m in messages["messages"] if m["author"] == "customer"]
                if heard:
                    break

            since = len(phone.received)
            assert (await asyncio.to_thread(console.post, f"/api/tickets/{ticket['id']}/resolve")).status_code == 200
            await reply_after(phone, since)  # the bot is back and asks for a rating
            since = len(phone.received)
            await phone.press("5")
            await reply_after(phone, since)
            return agent_speech, heard

    agent_speech, heard = asyncio.run(call())
    first = spoken_sentences("您好，我是林，请问有什么可以帮您？")[0]
    assert same_speech(agent_speech[int(LEAD_SILENCE_S * 8000):], render_speech(first, "zh-Hans"))
    assert heard  # what the caller said went to the agent...
    assert_heard(heard[0], QUESTION)

    tracker = conversation(servers, SID)
    users = user_texts(tracker)
    assert users[0] == "/request_human"
    assert not any(error_rate(text or "", QUESTION) <= 0.5 for text in users)  # ...not the bot
    after = " ".join(bot_texts(tracker))
    assert "人工客服已结束服务" in after and "谢谢您的评分" in after
