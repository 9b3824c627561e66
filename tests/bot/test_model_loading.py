"""bot/model_loading.py: the server's quicker load of the NLU classifiers predicts exactly as Rasa's own load.

The standard pair's Rasa (bot.serve, the quicker load) and the model loaded in this process by Rasa's
own RasaModel.load (tests/conftest.py trained_agent) parse the same sentences: the same intents, FAQ
answers and confidences, so nothing but the start time changed.
"""
from __future__ import annotations

import asyncio

import pytest
import requests

from tests.servers import TEST_TOKEN

SENTENCES = ["你好", "我要查保单", "转人工", "交费方法有哪些", "保单丢了怎么办", "我想睇下我張保單", "幾點開門",
             "I want to pay my premium", "what are your opening hours", "change my bank account", "不清楚", "嗯"]


def ranking(parsed: dict, with_faq_answers: bool = True) -> list:
    intents = [(i["name"], i["confidence"]) for i in parsed["intent_ranking"][:5]]
    answers = [(r["intent_response_key"], r["confidence"])
               for r in (parsed.get("response_selector", {}).get("faq", {}).get("ranking") or [])[:5]]
    return intents + answers if with_faq_answers else intents


@pytest.mark.parametrize("sentence", SENTENCES)
def test_the_server_parses_as_rasas_own_loader_does(standard_servers, trained_agent, sentence):
    from rasa.nlu.classifiers.diet_classifier import DIET
    from rasa.utils.tensorflow.models import RasaModel

    assert DIET.load.__func__ is RasaModel.load.__func__  # this process loaded the model Rasa's way
    served = requests.post(f"{standard_servers.url}/model/parse", params={"token": TEST_TOKEN},
                           json={"text": sentence}, timeout=60)
    assert served.status_code == 200, served.text
    own = asyncio.run(trained_agent.parse_message(sentence))
    # The server runs the FAQ selector only where its answer may be read (bot/faq_selector.py).
    ran_the_selector = bool(served.json().get("response_selector", {}).get("faq"))
    expected, got = ranking(own, ran_the_selector), ranking(served.json())
    assert [name for name, _ in got] == [name for name, _ in expected]
    assert [confidence for _, confidence in got] == pytest.approx([c for _, c in expected], abs=1e-5)
