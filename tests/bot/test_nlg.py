"""bot.nlg: responses in the customer's language; button payloads with entities kept as written, quietly."""
from __future__ import annotations

import logging

from rasa.shared.core.domain import Domain

from bot.nlg import LocalizedResponseGenerator

DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  language: {type: text, mappings: [{type: custom}]}
  name: {type: text, mappings: [{type: custom}]}
responses:
  utter_ask_payment_method:
  - text: "{name}，您想怎么交？"
    buttons:
    - {title: "支付宝", payload: "/inform{\\"payment_method\\":\\"alipay\\"}"}
    - {title: "给{name}转人工", payload: "/request_human"}
""")


def test_entity_payloads_are_kept_and_nothing_is_logged_as_an_error(caplog, capsys):
    generator = LocalizedResponseGenerator(domain=DOMAIN)
    with caplog.at_level(logging.DEBUG):
        response = generator.generate_in_language("utter_ask_payment_method", {"name": "王先生"}, "rest")
    assert response["text"] == "王先生，您想怎么交？"
    assert [b["payload"] for b in response["buttons"]] == ['/inform{"payment_method":"alipay"}', "/request_human"]
    assert response["buttons"][1]["title"] == "给王先生转人工"
    logged = caplog.text + capsys.readouterr().out
    assert "interpolate" not in logged and "KeyError" not in logged
