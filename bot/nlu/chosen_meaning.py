"""An FAQ topic picked with a button ("/faq/payment_methods") is that FAQ's answer, with certainty.

Rasa's payload syntax ("/intent{entities}") names an intent but not a retrieval intent's topic, so
a button could not say which FAQ answer the customer chose when the bot asked which of two
meanings they had in mind (actions/disambiguation.py). This component fills in the response
selector's choice for such payloads; "/faq/<topic>" is not an intent in the domain, so Rasa's
RegexMessageHandler after it leaves the message as this component set it.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (FULL_RETRIEVAL_INTENT_NAME_KEY, INTENT, INTENT_RANKING_KEY, RESPONSE_SELECTOR,
                                      TEXT)
from rasa.shared.nlu.training_data.message import Message

FAQ = "faq"
_FAQ_PAYLOAD = re.compile(r"^\s*/faq/(?P<topic>[a-z0-9_]+)\s*$")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ChosenMeaning(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ChosenMeaning":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            match = _FAQ_PAYLOAD.match(message.get(TEXT) or "")
            if match:
                _choose_faq(message, match.group("topic"))
        return messages


def _choose_faq(message: Message, topic: str) -> None:
    key = f"{FAQ}/{topic}"
    chosen = {"responses": None, "confidence": 1.0, "intent_response_key": key, "utter_action": f"utter_{key}",
              "template_name": f"utter_{key}"}
    selector = dict(message.get(RESPONSE_SELECTOR) or {})
    selector[FAQ] = {"response": chosen, "ranking": [{"confidence": 1.0, "intent_response_key": key}]}
    top = {"name": FAQ, "confidence": 1.0}
    message.set(INTENT_RANKING_KEY, [top], add_to_output=True)
    # Rasa's processor names the topic on the intent only when the selector ran on this message (it may be
    # skipped: bot/faq_selector.py): the tracker's event must say faq/<topic> either way.
    message.set(INTENT, {**top, FULL_RETRIEVAL_INTENT_NAME_KEY: key}, add_to_output=True)
    message.set(RESPONSE_SELECTOR, selector, add_to_output=True)
