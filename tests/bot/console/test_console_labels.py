"""The console speaks human: every intent, form and slot of the domain has a label, and a button
press reads as the button's words (bot/console/labels.py, views.py)."""
from __future__ import annotations

from pathlib import Path

from rasa.shared.core.domain import Domain

from bot.console.labels import FORMS, INTENTS, SLOTS, pressed
from bot.console.views import intents_seen, stored_transcript, tracker_transcript

ROOT = Path(__file__).resolve().parents[3]


def test_every_intent_form_and_slot_of_the_domain_has_a_human_label():
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    assert not [i for i in domain.intents if i not in INTENTS and not i.startswith(("session_start", "restart", "back"))
                and i not in ("nlu_fallback",)]
    assert not [f for f in domain.form_names if f not in FORMS]
    assert not [s.name for s in domain.slots if s.name not in SLOTS and s.name not in ("requested_slot",
                                                                                      "session_started_metadata")]


def test_a_press_reads_as_the_buttons_words():
    buttons = [{"title": "微信支付", "payload": '/inform{"payment_method":"wechat_pay"}'},
               {"title": "支付宝", "payload": '/inform{"payment_method":"alipay"}'}]
    assert pressed('/inform{"payment_method": "wechat_pay"}', buttons) == "［按了 Pressed］微信支付"
    assert pressed("/request_human", []) == "［按了 Pressed］要找人工 Asked for a person"
    assert pressed("我要交保费", buttons) is None


def test_the_transcript_and_intents_show_no_internal_names():
    events = [
        {"event": "bot", "text": "用哪种方式付款？",
         "data": {"buttons": [{"title": "微信支付", "payload": '/inform{"payment_method":"wechat_pay"}'}]}},
        {"event": "user", "text": '/inform{"payment_method":"wechat_pay"}',
         "parse_data": {"intent": {"name": "inform", "confidence": 1.0}}},
        {"event": "user", "text": "/request_human", "parse_data": {"intent": {"name": "request_human", "confidence": 1}}},
    ]
    said = [line["text"] for line in tracker_transcript(events)]
    assert said[1] == "［按了 Pressed］微信支付" and said[2] == "［按了 Pressed］要找人工 Asked for a person"
    assert not any("/" in text or "payment_method" in text for text in said)
    assert [i["label"] for i in intents_seen(events)] == ["回答 Answer", "要找人工 Asked for a person"]
    assert stored_transcript([("customer", "/request_human")])[0]["text"].endswith("Asked for a person")
