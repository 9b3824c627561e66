"""The FAQ selector run only where its answer may be read (bot/faq_selector.py) changes no reader's answer.

The trained model parses the same messages twice in this process, with Rasa's own ResponseSelector and
with the skipping one: intents and rankings are the same; where the selector ran its answer is the same;
where it was skipped nothing would have read it (the intent is not `faq`, and `faq` is not one of the two
meanings the which-meaning question offers).
"""
from __future__ import annotations

import asyncio

import pytest
from rasa.engine.graph import GraphNode
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.training_data.message import Message

from actions.disambiguation import close_meanings
from bot import faq_selector

FAQ = "faq"
# FAQ questions, services, small talk and form answers in the four languages; a chosen FAQ topic, a payload.
MESSAGES = ["宽限期是多久", "交费方法有哪些", "保单丢了怎么办", "幾點開門", "what are your opening hours", "忘记交费会怎样",
            "你好", "我要查保单", "保费什么时候交", "谢谢", "13800000001", "5821", "我想睇下我張保單", "转人工",
            "I want to pay my premium", "change my bank account", "不清楚", "嗯", "/faq/grace_period", "/greet"]


def selector_node(agent) -> GraphNode:
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return next(node for node in nodes if isinstance(node, GraphNode) and isinstance(node._component, ResponseSelector))


def parse_all(agent) -> list:
    return [asyncio.run(agent.parse_message(text)) for text in MESSAGES]


@pytest.fixture(scope="module")
def parses(trained_agent):
    """(Rasa's own parse, the skipping selector's parse) of every message."""
    node = selector_node(trained_agent)
    own = parse_all(trained_agent)
    node._fn = faq_selector.select_where_it_may_be_read  # as install() before the model loads
    try:
        skipping = parse_all(trained_agent)
    finally:
        node._fn = faq_selector._select_responses
    return list(zip(own, skipping))


def read_by_someone(parse: dict) -> bool:
    """The FAQ answer is said, or the which-meaning question offers an FAQ topic."""
    meanings = close_meanings(parse) or ()
    return (parse.get("intent") or {}).get("name") == FAQ or any(m.split("/")[0] == FAQ for m in meanings)


def test_intents_are_unchanged_and_a_selector_answer_is_the_selector_s_own(parses):
    for own, skipping in parses:
        assert skipping["intent"] == own["intent"] and skipping["intent_ranking"] == own["intent_ranking"]
        if skipping.get("response_selector", {}).get(FAQ):
            assert skipping["response_selector"][FAQ] == own["response_selector"][FAQ], own["text"]


def test_a_skipped_message_had_an_answer_nobody_reads(parses):
    skipped = [own for own, skipping in parses if not skipping.get("response_selector", {}).get(FAQ)]
    answered = [own for own, skipping in parses if skipping.get("response_selector", {}).get(FAQ)]
    assert skipped and answered, "the messages cover both cases"
    for own in skipped:
        assert not read_by_someone(own), own["text"]
    for own in parses:
        if read_by_someone(own[0]):
            assert own[1].get("response_selector", {}).get(FAQ), own[0]["text"]


def test_a_chosen_faq_topic_keeps_its_answer(parses):
    chosen = next(skipping for own, skipping in parses if own["text"] == "/faq/grace_period")
    assert chosen["response_selector"][FAQ]["response"]["intent_response_key"] == "faq/grace_period"


@pytest.mark.parametrize("ranking, runs", [
    ([FAQ, "greet", "thank"], True),
    (["query_premium", FAQ, "greet"], True),  # close meanings: the which-meaning question may offer the FAQ
    (["greet", "thank", FAQ], False),
    ([], False),
])
def test_which_messages_the_selector_runs_on(ranking, runs):
    message = Message(data={"text": "随便说说", "intent": {"name": (ranking or ["greet"])[0]},
                            "intent_ranking": [{"name": name, "confidence": 0.5} for name in ranking]})
    assert faq_selector.may_be_retrieval_intent(message, FAQ) is runs
