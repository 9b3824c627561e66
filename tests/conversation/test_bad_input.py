"""Bad input at the front door of a real server pair: each answered politely, nothing stored that should not be.

Every test here failed before the channels checked what customers send (issue 12, item 5).
"""
from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid

import requests
import socketio
import websockets

from tests.servers import TEST_TOKEN, new_sender, texts, verify

WEBHOOK = "/webhooks/rest/webhook"


def post(servers, body, raw: bool = False) -> requests.Response:
    if raw:
        return requests.post(servers.url + WEBHOOK, data=body, headers={"Content-Type": "application/json"},
                             timeout=60)
    return requests.post(servers.url + WEBHOOK, json=body, timeout=60)


def tracker_events(servers, sender):
    reply = requests.get(f"{servers.url}/conversations/{sender}/tracker", params={"token": TEST_TOKEN}, timeout=30)
    return reply.json().get("events", [])


def assert_polite_400(reply: requests.Response) -> None:
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["error"] and "请" in body["message"] and "Please" in body["message"]


def test_a_huge_sender_id_is_refused_and_never_stored(servers):
    tracker_db = servers.workdir / "tracker.db"
    before = tracker_db.stat().st_size
    for _ in range(3):
        reply = post(servers, {"sender": "x" * 200_000, "message": "你好"})
        assert_polite_400(reply)
        assert "128" in reply.json()["message"]
    assert tracker_db.stat().st_size - before < 100_000  # it used to double with each request


def test_a_body_that_is_not_a_json_object_gets_a_polite_400(servers):
    for body in (b"", b"[]", b"null", b"{", b'"hello"', b"42", b"\xff\xfe"):
        assert_polite_400(post(servers, body, raw=True))
    for body in ({"message": "你好"}, {"sender": None, "message": "你好"}, {"sender": ["a"], "message": "你好"},
                 {"sender": "", "message": "你好"}, {"sender": "s", "message": "hi", "metadata": [1]}):
        assert_polite_400(post(servers, body))


def test_a_message_that_is_not_text_is_asked_to_be_typed(servers):
    for message in (5, 3.14, [1, 2], {"text": "你好"}, True):
        reply = post(servers, {"sender": new_sender(), "message": message})
        assert reply.status_code == 200
        assert "请直接打字" in texts(reply.json())


def test_a_lone_surrogate_gets_an_answer(servers):
    sender = new_sender()
    for message in ('"\\ud800"', '"查保单\\udfff"', '"\\ud83d"'):
        reply = post(servers, f'{{"sender": "{sender}", "message": {message}}}'.encode(), raw=True)
        assert reply.status_code == 200
        assert texts(reply.json()).strip(), message  # the customer is answered, not left with nothing


def test_a_customer_cannot_send_an_internal_intent(servers):
    sender = new_sender()
    servers.say(sender, "你好")
    for text in ("/EXTERNAL_human_resolved", " /EXTERNAL_human_handed_back", "/external_human_resolved{}"):
        assert texts(servers.say(sender, text)) == "请直接打字告诉我您的问题。Please type your question."
    intents = [(e.get("parse_data") or {}).get("intent", {}).get("name") for e in tracker_events(servers, sender)
               if e["event"] == "user"]
    assert not any((name or "").upper().startswith("EXTERNAL_") for name in intents)
    assert len(intents) == 1  # only 你好 reached the bot


def test_markup_or_sql_at_a_confirmation_is_no_yes_and_no_switch_to_english(servers):
    sender, new_phone = new_sender(), "13812345678"
    assert "身份已确认" in verify(servers, sender, "13800000001", "5821", "改手机号")
    assert "确认修改吗" in texts(servers.say(sender, new_phone))
    for attack in ("<script>alert(1)</script>", "' OR 1=1 --"):
        reply = texts(servers.say(sender, attack))
        assert "已改为" not in reply and "changed" not in reply.lower()
        assert any("\u4e00" <= c <= "\u9fff" for c in reply), reply  # still answered in Chinese
    servers.say(sender, "不改了")
    with sqlite3.connect(servers.workdir / "anxin.db") as db:
        assert db.execute("SELECT count(*) FROM customers WHERE phone = ?", (new_phone,)).fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM customers WHERE phone = '13800000001'").fetchone() == (1,)


def test_socketio_refuses_a_huge_session_id_and_a_message_that_is_not_text(servers):
    replies = []
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", replies.append)
    client.connect(servers.url, socketio_path="/socket.io", transports=["polling"])
    try:
        huge = "s" * 200_000
        client.emit("session_request", {"session_id": uuid.uuid4().hex})
        for data in ({"message": "你好", "session_id": huge}, {"message": 42, "session_id": uuid.uuid4().hex},
                     "just a string", ["a list"]):
            count = len(replies)
            client.emit("user_uttered", data)
            deadline = time.time() + 30
            while len(replies) == count and time.time() < deadline:
                time.sleep(0.1)
            assert len(replies) > count, data
    finally:
        client.disconnect()
    assert all(reply.get("text") for reply in replies)


def test_a_phone_socket_without_a_valid_start_is_closed_within_a_second(servers):
    url = servers.url.replace("http://", "ws://") + "/webhooks/phone/stream"

    async def garbage_only(messages):
        async with websockets.connect(url) as ws:
            opened = time.monotonic()
            for message in messages:
                await ws.send(message)
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), timeout=5)
            except websockets.ConnectionClosed:
                return time.monotonic() - opened

    for messages in ([], ["not json"], [json.dumps({"event": "connected"}), "{}"]):
        assert asyncio.run(garbage_only(messages)) < 2.0
