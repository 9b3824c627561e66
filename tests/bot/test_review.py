"""`make review` (python -m bot.review) on a tracker store with known fallbacks: each listed once, masked,
counted, with the predicted intent, and the nlu part loads as Rasa training data."""
from __future__ import annotations

import asyncio
import subprocess
import sys

import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from bot.tracker_store import RedactingSQLTrackerStore
from tests.servers import ROOT


def parse(intent: str, *ranking: tuple, topic: str = "", entities=()) -> dict:
    ranked = [{"name": name, "confidence": confidence} for name, confidence in ranking] or [
        {"name": intent, "confidence": 0.9}]
    data = {"intent": {"name": intent, "confidence": ranked[0]["confidence"]}, "intent_ranking": ranked,
            "entities": list(entities)}
    if topic:
        data["response_selector"] = {"faq": {"response": {"intent_response_key": f"faq/{topic}"}}}
    return data


def said(text: str, parse_data: dict) -> list:
    return [UserUttered(text, parse_data["intent"], parse_data["entities"], parse_data),
            ActionExecuted("action_fallback" if parse_data["intent"]["name"] == "nlu_fallback" else "utter_x"),
            BotUttered("…"), ActionExecuted("action_listen")]


FALLBACK = parse("nlu_fallback", ("nlu_fallback", 0.45), ("pay_premium", 0.30), ("faq", 0.2))
AMBIGUOUS = parse("nlu_fallback", ("nlu_fallback", 0.45), ("faq", 0.48), ("pay_premium", 0.46),
                  topic="payment_methods")
OUT_OF_SCOPE = parse("out_of_scope")
HUMAN = parse("request_human")
LOW = parse("give_feedback", entities=[{"entity": "rating", "value": "1"}])


def conversations() -> dict:
    return {
        "one": (said("我的手机号13800000001交不了钱", FALLBACK) + said("能不能两张一起交", AMBIGUOUS)
                + said("转人工", HUMAN)[:1] + [ActionExecuted("action_handoff")]),
        "two": said("我的手机号13900000002交不了钱", FALLBACK) + said("帮我订机票", OUT_OF_SCOPE),
        "three": said("我的手機號13700000003交不了錢", FALLBACK) + said("查保单", parse("query_policy"))
                 + said("/give_feedback{\"rating\":\"1\"}", LOW),
    }


def tracker_store(url: str) -> None:
    store = RedactingSQLTrackerStore(Domain.empty(), host=url)
    for sender, events in conversations().items():
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def test_review_lists_each_phrasing_once_masked_with_counts_and_predictions(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    tracker_store(url)
    out = tmp_path / "review.yml"
    subprocess.run([sys.executable, "-m", "bot.review", "--tracker-store", url, "--out", str(out)], cwd=ROOT,
                   check=True, capture_output=True)
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    found = {u["text"]: u for u in document["utterances"]}

    assert "13800000001" not in out.read_text(encoding="utf-8")
    assert found["我的手机号***交不了钱"]["count"] == 3  # three customers, one phrasing (Traditional folded too)
    assert found["我的手机号***交不了钱"]["predicted"] == "pay_premium"  # the guess behind the fallback
    assert found["我的手机号***交不了钱"]["reasons"] == {"fallback": 3}
    assert found["能不能两张一起交"]["reasons"] == {"ambiguous": 1, "before_handoff": 1}
    assert found["能不能两张一起交"]["count"] == 1 and found["能不能两张一起交"]["predicted"] == "faq/payment_methods"
    assert found["帮我订机票"]["reasons"] == {"fallback": 1}
    assert found["查保单"]["reasons"] == {"before_low_rating": 1}
    assert "转人工" not in found  # the request for a person is not what the bot failed at
    assert document["summary"] == {"fallback": 4, "ambiguous": 1, "before_handoff": 1, "before_low_rating": 1}
    assert [u["text"] for u in document["utterances"]][0] == "我的手机号***交不了钱"  # most frequent first

    training = RasaYAMLReader().reads(yaml.dump({"version": "3.1", "nlu": document["nlu"]}, allow_unicode=True))
    by_intent = {m.get("intent_response_key") or m.get("intent"): m.get("text") for m in training.intent_examples}
    assert by_intent["faq/payment_methods"] == "能不能两张一起交"


def test_an_empty_store_gives_an_empty_review(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    RedactingSQLTrackerStore(Domain.empty(), host=url)  # creates the tables
    out = tmp_path / "review.yml"
    subprocess.run([sys.executable, "-m", "bot.review", "--tracker-store", url, "--out", str(out)], cwd=ROOT,
                   check=True, capture_output=True)
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["utterances"] == []
