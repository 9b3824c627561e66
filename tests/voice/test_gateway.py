"""The voice gateway as its own process (issue 17), with a real Rasa server, action server and gateway.

The connector in Rasa answers only the gateway (its shared secret); the gateway answers Telegram's
internal calls only with it too. The gateway dies (kill -9): text customers on REST and socket.io are
still answered, a voice message gets a polite 503 in the customer's language, read-aloud its usual
refusal, a call's handshake a 503; started again, a new voice message and a new call work.
"""
from __future__ import annotations

import asyncio
import signal
import time

import pytest
import requests
from websockets.exceptions import InvalidStatusCode

from tests.servers import (GATEWAY, PHONE_TOKEN, TEST_GATEWAY_SECRET, Servers, new_sender, require_model,
                           socketio_chat, spoken_reply_env, texts)
from tests.voice.hearing import assert_heard
from tests.voice.phone.carrier import FakeTwilio
from tests.voice.speech import speech_wav
from voice.gateway.protocol import SECRET_HEADER

CONNECTOR_CALLS = [("turn", {"sender": "gw-secret", "text": "你好", "channel": "phone", "metadata": {}}),
                   ("slots", {"sender": "gw-secret", "slots": {"language": "en"}}),
                   ("preference", {"sender": "gw-secret"}),
                   ("lane", {"sender": "gw-secret"})]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A pair of its own (this module kills its gateway), with the phone on (a stream token, no Twilio signing)."""
    require_model()
    workdir = tmp_path_factory.mktemp("gateway")
    running = Servers(workdir, preload_voice=True, extra_env={"ANXIN_PHONE_STREAM_TOKEN": PHONE_TOKEN,
                                                              "ANXIN_RATE_LIMIT_BURST": "30",
                                                              **spoken_reply_env(workdir)}).start()
    yield running
    running.stop()


def voice_message(servers, sender: str, said: str, language: str) -> requests.Response:
    return requests.post(f"{servers.url}/webhooks/voice/message", params={"sender": sender},
                         data=speech_wav(said, language), headers={"Content-Type": "audio/wav"}, timeout=180)


def call_welcome(servers, call_sid: str) -> int:
    """A call through Rasa's port: how many audio messages the welcome sent."""
    async def call() -> int:
        url = servers.url.replace("http://", "ws://") + "/webhooks/phone/stream"
        async with FakeTwilio(url, PHONE_TOKEN, caller="+86 139 1234 5678", call_sid=call_sid) as phone:
            await phone.wait_for_marks(1, 0, timeout=120)
            return sum(1 for m in phone.received if m.get("event") == "media")
    return asyncio.run(call())


@pytest.mark.parametrize("path, body", CONNECTOR_CALLS)
def test_the_connector_refuses_calls_without_or_with_a_wrong_secret(servers, path, body):
    url = f"{servers.url}/webhooks/gateway/{path}"
    assert requests.post(url, json=body, timeout=30).status_code == 401
    assert requests.post(url, json=body, headers={SECRET_HEADER: "not-the-secret"}, timeout=30).status_code == 403
    assert requests.post(url, json=body, headers={SECRET_HEADER: TEST_GATEWAY_SECRET + "x"},
                         timeout=30).status_code == 403


def test_the_connector_runs_a_turn_of_the_channel_it_is_told(servers):
    sender = new_sender()
    answer = requests.post(f"{servers.url}/webhooks/gateway/turn", headers={SECRET_HEADER: TEST_GATEWAY_SECRET},
                           json={"sender": sender, "text": "I want to check my policy", "channel": "voice",
                                 "metadata": {}}, timeout=120)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["messages"] and body["lane"] == [] and body["handed_off"] is False
    tracker = requests.get(f"{servers.url}/conversations/{sender}/tracker", params={"token": "test-token-not-a-secret"},
                           timeout=30).json()
    assert [e["input_channel"] for e in tracker["events"] if e["event"] == "user"] == ["voice"]
    refused = requests.post(f"{servers.url}/webhooks/gateway/turn", headers={SECRET_HEADER: TEST_GATEWAY_SECRET},
                            json={"sender": sender, "text": "hi", "channel": "rest"}, timeout=30)
    assert refused.status_code == 400  # only the gateway's own channels


def test_the_gateways_internal_calls_want_the_secret_and_are_not_forwarded(servers):
    speak = {"sender": "gw-internal", "messages": [{"text": "好的"}], "language": "zh-Hans"}
    assert requests.post(f"{servers.gateway_url}/internal/speak", json=speak, timeout=30).status_code == 401
    assert requests.post(f"{servers.gateway_url}/internal/speak", json=speak, headers={SECRET_HEADER: "wrong"},
                         timeout=30).status_code == 403
    # Rasa forwards only the customer paths: its port has no way to the gateway's internal ones
    assert requests.post(f"{servers.url}/internal/speak", json=speak, headers={SECRET_HEADER: TEST_GATEWAY_SECRET},
                         timeout=30).status_code == 404


def test_when_the_gateway_dies_text_goes_on_voice_is_refused_politely_and_a_restart_serves_again(servers):
    english = new_sender()
    assert "I" in texts(servers.say(english, "Hello, I want to check my policy"))  # the conversation is in English
    gateway = servers.processes[GATEWAY]
    gateway.send_signal(signal.SIGKILL)
    gateway.wait(timeout=30)

    # text customers do not notice
    assert texts(servers.say(new_sender(), "你好"))
    with socketio_chat(servers.url) as (client, replies, session_id):
        client.emit("user_uttered", {"message": "你好", "session_id": session_id})
        assert replies.get(timeout=60).get("text")

    # a voice message: 503, politely, in the conversation's language; never a stack trace
    refused = voice_message(servers, english, "I want to talk to a human agent.", "en")
    assert refused.status_code == 503
    body = refused.json()
    assert body["error"] == "unavailable" and "voice messages" in body["message"] and "Traceback" not in refused.text
    assert body["messages"][0]["text"] == body["message"]
    chinese = voice_message(servers, new_sender(), "我想查保单", "zh")
    assert chinese.status_code == 503 and "语音" in chinese.json()["message"]
    read_aloud = requests.post(f"{servers.url}/webhooks/webchat/speak", json={"text": "好的。", "language": "zh-Hans"},
                               timeout=30)
    assert read_aloud.status_code == 503 and read_aloud.json()["error"] == "no_voice"
    with pytest.raises(InvalidStatusCode) as handshake:
        call_welcome(servers, "CAgwdown01")
    assert handshake.value.status_code == 503

    # started again: a new voice message and a new call work
    servers.processes[GATEWAY] = servers.spawn(GATEWAY)
    deadline = time.time() + 180
    while not servers.gateway_ready() and time.time() < deadline:
        time.sleep(0.5)
    assert servers.gateway_ready()
    heard = voice_message(servers, english, "I want to talk to a human agent.", "en")
    assert heard.status_code == 200, heard.text
    assert_heard(heard.json()["transcript"], "I want to talk to a human agent.")
    assert call_welcome(servers, "CAgwback01") > 0
