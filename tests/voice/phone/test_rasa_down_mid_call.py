"""Rasa is killed in the middle of a phone call: the caller is apologised to and reaches a person; Rasa back, the
call goes on.

A real action server, Rasa server and voice gateway; the call streams to the gateway, as the balancer
routes calls in production (tests/voice/test_gateway.py covers the path through Rasa's port). Rasa is
killed (-9) after the welcome; the caller speaks (an apology, "press 0"), presses 0 (a call-back ticket
in the pair's database, its number read out), Rasa is started again and the caller's next words reach
the bot in the same conversation.
"""
from __future__ import annotations

import asyncio
import signal
import time

import pytest
import requests

from actions.service.core.db import session_scope
from actions.service.core.models import CallbackTask, HandoffTicket
from actions.service.human_lane.handoff import CALLBACK
from tests.servers import PHONE_TOKEN, RASA, TEST_TOKEN, Servers, require_model, spoken_reply_env
from tests.voice.phone.caller_audio import TURN_TAIL_S, silence, spoken_mulaw
from tests.voice.phone.carrier import FakeTwilio
from tests.voice.phone.test_bot_outage import spoken_as
from tests.voice.phone.test_phone_calls import reply_after, user_texts
from voice.phone import prompts
from voice.phone.bot_outage import REASON

SID = "CArasadown01"
CALLER = "+86 139 5555 0303"  # nobody's number: the language menu, in Mandarin
QUESTION = "我想查一下下次交费是什么时候"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A pair of its own (this module kills its Rasa server), the phone on with a stream token."""
    require_model()
    workdir = tmp_path_factory.mktemp("rasa-down")
    running = Servers(workdir, preload_voice=True,
                      extra_env={"ANXIN_PHONE_STREAM_TOKEN": PHONE_TOKEN, **spoken_reply_env(workdir)}).start()
    yield running
    running.stop()


def rasa_ready(servers) -> bool:
    try:
        return requests.get(f"{servers.url}/status", params={"token": TEST_TOKEN}, timeout=2).ok
    except requests.RequestException:
        return False


def test_rasa_killed_mid_call_the_caller_hears_an_apology_gets_a_call_back_ticket_and_goes_on_after(servers):
    database = servers.env["ANXIN_DATABASE_URL"]

    def tickets() -> list:
        with session_scope(database) as session:
            return [(t.id, t.status, t.reason) for t in session.query(HandoffTicket).filter(HandoffTicket.sender_id == SID)]

    async def call() -> dict:
        url = servers.gateway_url.replace("http://", "ws://") + "/webhooks/phone/stream"
        heard = {}
        async with FakeTwilio(url, PHONE_TOKEN, caller=CALLER, call_sid=SID) as phone:
            await reply_after(phone, 0, timeout=120)  # the welcome
            rasa = servers.processes[RASA]
            rasa.send_signal(signal.SIGKILL)
            rasa.wait(timeout=30)

            since = len(phone.received)
            await phone.stream(spoken_mulaw(QUESTION, "zh") + silence(TURN_TAIL_S))
            await reply_after(phone, since, timeout=120)
            heard["apology"] = phone.audio(since)
            heard["tickets_after_apology"] = await asyncio.to_thread(tickets)

            since = len(phone.received)
            await phone.press("0")
            await reply_after(phone, since, timeout=120)
            heard["ticket"] = phone.audio(since)

            servers.processes[RASA] = servers.spawn(RASA)
            deadline = time.time() + 240
            while not await asyncio.to_thread(rasa_ready, servers):
                assert time.time() < deadline, "Rasa did not start again"
                await asyncio.sleep(1)

            since = len(phone.received)
            await phone.stream(spoken_mulaw(QUESTION, "zh") + silence(TURN_TAIL_S))
            await reply_after(phone, since, timeout=180)
            heard["back"] = phone.audio(since)
        return heard

    heard = asyncio.run(call())
    assert spoken_as(heard["apology"], [prompts.text("bot_busy", "zh-Hans"), prompts.text("human_option", "zh-Hans")],
                     "zh-Hans")
    assert heard["tickets_after_apology"] == []

    [(ticket_id, status, reason)] = tickets()
    assert (status, reason) == (CALLBACK, REASON)
    reference = f"H{ticket_id:06d}"
    with session_scope(database) as session:
        assert [c.phone for c in session.query(CallbackTask).filter(CallbackTask.subject == reference)] == [
            "+8613955550303"]
    spoken_number = prompts.spoken_reference(reference, "zh-Hans")
    assert spoken_as(heard["ticket"], prompts.text("callback_ticket", "zh-Hans", ticket=spoken_number), "zh-Hans")

    # Rasa is back: the caller's words reach the bot in the same conversation, and it answers
    tracker = requests.get(f"{servers.url}/conversations/{SID}/tracker", params={"token": TEST_TOKEN}, timeout=30).json()
    said = [text for text in user_texts(tracker) if text and not text.startswith("/")]
    assert said, user_texts(tracker)
    assert heard["back"] and not spoken_as(heard["back"], [prompts.text("bot_busy", "zh-Hans"),
                                                           prompts.text("human_option", "zh-Hans")], "zh-Hans")
    assert len(tickets()) == 1
