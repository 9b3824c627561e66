"""Tokenizer for Chinese (Simplified, Traditional, written Cantonese) mixed with English.

Rasa 3.6's JiebaTokenizer only accepts `language: zh` and emits whitespace tokens on mixed
Chinese/English text (RasaHQ/rasa #7910). This one converts Traditional characters to
Simplified one by one (offsets stay valid), lets Jieba segment, keeps Latin words whole and
drops whitespace and punctuation, so 保單/保单 and "我想check下policy" share features.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Dict, List, Optional, Text

import jieba

from actions.service.language import to_simplified
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

jieba.setLogLevel(60)  # Jieba prints its dictionary loading to stderr otherwise


def normalize_for_nlu(text: str) -> str:
    """Same length as the input: full-width -> half-width, Traditional -> Simplified, lower case."""
    chars = []
    for char in text:
        folded = unicodedata.normalize("NFKC", char)
        chars.append(folded if len(folded) == 1 else char)
    return to_simplified("".join(chars)).lower()


def _is_word(token: str) -> bool:
    return any(unicodedata.category(c)[0] in "LN" for c in token)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ChineseEnglishTokenizer(Tokenizer):
    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return None

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["jieba", "pypinyin"]

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> "ChineseEnglishTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        normalized = normalize_for_nlu(text)
        tokens = [Token(word, start) for word, start, _end in jieba.tokenize(normalized) if _is_word(word)]
        if not tokens and text.strip():
            # Emoji or punctuation only: one token so every featurizer still has something.
            tokens = [Token(normalized.strip(), text.index(text.strip()[0]))]
        return self._apply_token_pattern(tokens)
