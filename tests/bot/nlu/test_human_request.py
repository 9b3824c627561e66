"""The human lane's safety net on >= 150 phrasings per language: every request for a person is caught
(recall 100%), at most 1% of look-alikes are (bot/nlu/human_request.py, issue 16)."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from bot.nlu.human_request import HUMAN_INTENT, HumanRequestDetector, load_phrases
from rasa.shared.nlu.training_data.message import Message

PHRASINGS = Path(__file__).resolve().parent / "human_requests"
LANGUAGES = ("zh-Hans", "zh-Hant", "yue", "en")
MAX_FALSE_HANDOFFS = 0.01


def phrasings(language: str) -> Dict[str, List[str]]:
    return yaml.safe_load((PHRASINGS / f"{language}.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_set_is_big_enough(language):
    data = phrasings(language)
    assert len(data["requests"]) + len(data["not_requests"]) >= 150
    assert len(data["not_requests"]) >= 60


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_request_for_a_person_is_caught(language):
    phrases = load_phrases()
    missed = [text for text in phrasings(language)["requests"] if not phrases.asks_for_a_person(text)]
    assert missed == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_look_alikes_rarely_reach_a_person(language):
    phrases = load_phrases()
    look_alikes = phrasings(language)["not_requests"]
    false = [text for text in look_alikes if phrases.asks_for_a_person(text)]
    assert len(false) <= MAX_FALSE_HANDOFFS * len(look_alikes), false


def parsed(text: str, intent: str, *others: str) -> Message:
    """A message as the classifiers leave it: `intent` first, then `others`, with falling confidence."""
    ranking = [{"name": name, "confidence": round(0.6 - 0.2 * i, 2)} for i, name in enumerate((intent,) + others)]
    return Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking})


@pytest.fixture(scope="module")
def detector():
    return HumanRequestDetector(HumanRequestDetector.get_default_config())


@pytest.mark.parametrize("text, classified", [
    ("I'd like to speak to someone, please", "out_of_scope"),
    ("那个就是我要转人工", "nlu_fallback"),
    ("搵真人", "report_claim"),
    ("客服", "faq"),
])
def test_the_component_overrides_whatever_the_classifier_said(detector, text, classified):
    message, = detector.process([parsed(text, classified, "greet")])
    assert message.get("intent")["name"] == HUMAN_INTENT and message.get("intent")["confidence"] == 1.0
    assert [r["name"] for r in message.get("intent_ranking")] == [HUMAN_INTENT, classified, "greet"]


def test_a_look_alike_the_classifier_took_for_a_request_gets_its_next_guess(detector):
    message, = detector.process([parsed("你是真人吗", HUMAN_INTENT, "bot_challenge", "greet")])
    assert message.get("intent")["name"] == "bot_challenge"


@pytest.mark.parametrize("text", ["/request_human", "/inform{\"payment_method\":\"alipay\"}", "", "   "])
def test_payloads_and_empty_text_are_left_to_rasa(detector, text):
    message, = detector.process([parsed(text, "greet")])
    assert message.get("intent")["name"] == "greet"


def test_other_messages_keep_the_classifiers_answer(detector):
    message, = detector.process([parsed("我要交保费", "pay_premium", "faq")])
    assert message.get("intent")["name"] == "pay_premium"


def test_the_trained_pipeline_hands_off_every_request_and_almost_no_look_alike(trained_agent):
    """The whole NLU (classifier, fallback, then this net) on every phrasing: what a customer would get."""
    import asyncio

    async def intents(texts):
        return [(await trained_agent.parse_message(text))["intent"]["name"] for text in texts]

    requests, look_alikes = [], []
    for language in LANGUAGES:
        requests += phrasings(language)["requests"]
        look_alikes += phrasings(language)["not_requests"]
    got_requests, got_look_alikes = asyncio.run(intents(requests)), asyncio.run(intents(look_alikes))
    assert [t for t, i in zip(requests, got_requests) if i != HUMAN_INTENT] == []
    false = [t for t, i in zip(look_alikes, got_look_alikes) if i == HUMAN_INTENT]
    assert len(false) <= MAX_FALSE_HANDOFFS * len(look_alikes), false
