"""What the chat channels let through to Rasa: sender ids, text, internal intents, and the per-client limit."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from actions.service.core import settings
from bot.channels.customer_input import clean_metadata, clean_text, is_internal_intent, sender_id_problem
from bot.channels.rate_limited import TokenBucketLimiter, check_rest_request, client_ip


def request(body, ip="203.0.113.7", forwarded=""):
    return SimpleNamespace(ip=ip, json=body, headers={"X-Forwarded-For": forwarded} if forwarded else {})


@pytest.mark.parametrize("sender, problem", [
    ("user-1", None), (12345, None), ("x" * 128, None),
    ("x" * 129, "too_long"), (None, "missing"), ("", "missing"), ("  ", "missing"),
    (["a"], "not_text"), ({"a": 1}, "not_text"), (True, "not_text"), ("a\ud800", "not_text"),
])
def test_sender_ids(sender, problem):
    assert sender_id_problem(sender) == problem


def test_lone_surrogates_are_replaced_and_real_characters_kept():
    assert clean_text("查\ud800保单\udfff") == "查\ufffd保单\ufffd"
    assert clean_text("😀 保單 café") == "😀 保單 café"
    assert clean_metadata({"a\udc00": ["\ud800", 1, {"b": "ok"}]}) == {"a\ufffd": ["\ufffd", 1, {"b": "ok"}]}
    json.dumps(clean_metadata({"k": "\ud800"})).encode("utf-8")  # what the action server is sent encodes


@pytest.mark.parametrize("text, internal", [
    ("/EXTERNAL_human_resolved", True), ("  /external_human_handed_back{}", True), ("/ EXTERNAL_x", True),
    ("/request_human", False), ("/affirm", False), ("EXTERNAL_human_resolved", False), ("我要转人工", False),
])
def test_internal_intents(text, internal):
    assert is_internal_intent(text) == internal


def test_rotating_sender_ids_do_not_escape_the_per_client_limit():
    limiter = TokenBucketLimiter(per_minute=1, burst=3, clock=lambda: 0.0)
    answers = [check_rest_request(request({"sender": f"s-{i}", "message": "hi"}), limiter) for i in range(5)]
    assert answers[:3] == [None] * 3
    assert [a.status for a in answers[3:]] == [429, 429]
    assert "请稍等" in json.loads(answers[3].body)["message"]
    # Another client is not held up by this one.
    assert check_rest_request(request({"sender": "s-x", "message": "hi"}, ip="198.51.100.1"), limiter) is None


@pytest.mark.parametrize("body, status", [
    (None, 400), ([], 400), ("text", 400), (7, 400),
    ({"sender": "x" * 129, "message": "hi"}, 400), ({"message": "hi"}, 400),
    ({"sender": "s", "message": "hi", "metadata": "x"}, 400),
    ({"sender": "s", "message": 5}, 200), ({"sender": "s", "message": ["a"]}, 200),
])
def test_rest_bodies_that_must_not_reach_the_bot(body, status):
    answer = check_rest_request(request(body), TokenBucketLimiter())
    assert answer is not None and answer.status == status
    if status == 200:
        assert json.loads(answer.body) == [{"recipient_id": "s", "text": "请直接打字告诉我您的问题。Please type your question."}]


def test_a_good_body_goes_through():
    assert check_rest_request(request({"sender": "s", "message": "你好", "metadata": {}}), TokenBucketLimiter()) is None
    assert check_rest_request(request({"sender": "s", "message": None}), TokenBucketLimiter()) is None


def test_the_client_is_the_peer_unless_a_trusted_proxy_forwarded_for_it(monkeypatch):
    monkeypatch.setenv("ANXIN_TRUSTED_PROXIES", "10.0.0.2, 10.0.0.3")
    settings.get_settings.cache_clear()
    try:
        assert client_ip(request({}, ip="203.0.113.7", forwarded="1.2.3.4")) == "203.0.113.7"  # not a proxy: spoofed
        assert client_ip(request({}, ip="10.0.0.2", forwarded="1.2.3.4")) == "1.2.3.4"
        assert client_ip(request({}, ip="10.0.0.2", forwarded="6.6.6.6, 1.2.3.4, 10.0.0.3")) == "1.2.3.4"
        assert client_ip(None) == "unknown"
    finally:
        settings.get_settings.cache_clear()


def guarded_turn(text, sender="s-1", metadata=None):
    """What reaches the bot and what the customer is told, through the guard every chat channel uses
    (REST, socket.io, Telegram, voice messages)."""
    import asyncio

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from bot.channels.rate_limited import guard

    reached = []

    async def bot(message):
        reached.append((message.text, message.metadata))

    output = CollectingOutputChannel()
    message = UserMessage(None, output, sender, metadata=metadata)
    message.text = text  # as a channel may hand it over: not stripped, maybe not text
    asyncio.run(guard(bot, TokenBucketLimiter())(message))
    return reached, [m.get("text") for m in output.messages]


def test_the_guard_keeps_internal_intents_and_broken_text_from_the_bot():
    assert guarded_turn("/EXTERNAL_human_resolved") == ([], ["请直接打字告诉我您的问题。Please type your question."])
    assert guarded_turn("你好\ud800", metadata={"k": "\udfff"}) == ([("你好\ufffd", {"k": "\ufffd"})], [])
    assert guarded_turn(42) == ([], ["请直接打字告诉我您的问题。Please type your question."])
    assert guarded_turn(None) == ([], ["请说说您需要什么帮助。Please tell me what you need."])
    reached, said = guarded_turn("你好", sender="x" * 129)
    assert reached == [] and said
