"""The human lane's safety net: a request for a person is request_human whatever the classifier says.

A senior who types "I'd like to speak to someone, please" must reach a person even when DIET
thinks it is out_of_scope. This component runs after the classifiers (and the FallbackClassifier),
so every channel that goes through Rasa's NLU gets it: REST, socket.io, Telegram, voice-message
and phone transcripts. The phrases are data (bot/nlu/human_requests.yml), edited by designers.
Button payloads ("/request_human", key 0 on the phone) are Rasa's own intent syntax and never
reach here as text to read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Pattern, Text

import yaml

from actions.service.constants import HUMAN_PAYLOAD
from actions.service.language import to_simplified
from bot.nlu.pinyin_featurizer import token_pinyin
from bot.nlu.tokenizer import normalize_for_nlu
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

PHRASES_FILE = Path(__file__).with_name("human_requests.yml")
HUMAN_INTENT = HUMAN_PAYLOAD.lstrip("/")  # "request_human": the button and the words are one intent


def _compiled(entries: List[str]) -> Optional[Pattern]:
    # Entries may be written in Traditional script; ASCII \b and \w so 我要agent still has a word edge.
    alternatives = [f"(?:{to_simplified(entry)})" for entry in entries or []]
    return re.compile("|".join(alternatives), re.IGNORECASE | re.ASCII) if alternatives else None


@dataclass(frozen=True)
class HumanRequestPhrases:
    """The designers' phrases, compiled; `asks_for_a_person` is the whole rule."""

    not_requests: Optional[Pattern]
    requests: Optional[Pattern]
    pinyin_requests: Optional[Pattern]

    @classmethod
    def load(cls, path: Path = PHRASES_FILE) -> "HumanRequestPhrases":
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(_compiled(data.get("not_requests")), _compiled(data.get("requests")),
                   _compiled(data.get("pinyin_requests")))

    def _what_is_left(self, text: str) -> str:
        folded = normalize_for_nlu(text)
        return self.not_requests.sub(" ", folded) if self.not_requests else folded

    def asks_for_a_person(self, text: str) -> bool:
        left = self._what_is_left(text)
        if self.requests and self.requests.search(left):
            return True
        return bool(self.pinyin_requests and self.pinyin_requests.search(token_pinyin(left)))

    def only_looks_like_a_request(self, text: str) -> bool:
        """A not_request matched and nothing that asks for a person is left ("你是真人吗")."""
        return self._what_is_left(text) != normalize_for_nlu(text) and not self.asks_for_a_person(text)


@lru_cache(maxsize=4)
def load_phrases(path: Path = PHRASES_FILE) -> HumanRequestPhrases:
    return HumanRequestPhrases.load(path)


def _is_payload(text: str) -> bool:
    return text.lstrip().startswith("/")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class HumanRequestDetector(GraphComponent):
    """Sets request_human (confidence 1) on messages that ask for a person; undoes it on look-alikes."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # None: bot/nlu/human_requests.yml beside this module, read when the model loads (a path kept in
        # the model would point into the machine that trained it).
        return {"phrases_file": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.phrases = load_phrases(Path(config.get("phrases_file") or PHRASES_FILE))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "HumanRequestDetector":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text.strip() or _is_payload(text):
                continue
            predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if self.phrases.asks_for_a_person(text):
                _set_intent(message, HUMAN_INTENT, 1.0)
            elif predicted == HUMAN_INTENT and self.phrases.only_looks_like_a_request(text):
                _use_next_guess(message)
        return messages


def _set_intent(message: Message, name: str, confidence: float) -> None:
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    top = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)


def _use_next_guess(message: Message) -> None:
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != HUMAN_INTENT]
    if ranking:
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
