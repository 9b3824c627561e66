"""Pinyin features, so that speech-recognition homophones still classify.

Whisper often writes a sound with the wrong characters: 抱案 for 报案, 主任 for 住院, 理陪 for
理赔. Their toneless pinyin is the same, so this featurizer counts pinyin syllables (and
syllable n-grams) of each token next to the character features. It is Rasa's own
CountVectorsFeaturizer, fed with pinyin instead of characters.
"""
from __future__ import annotations

from functools import lru_cache
from typing import List, Text

from pypinyin import Style, lazy_pinyin
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message


@lru_cache(maxsize=65536)
def token_pinyin(token: str) -> str:
    """'报案' -> 'bao an'; Latin words and digits stay as they are."""
    return " ".join(lazy_pinyin(token, style=Style.NORMAL, errors="default"))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class PinyinFeaturizer(CountVectorsFeaturizer):
    def _get_processed_message_tokens_by_attribute(self, message: Message, attribute: Text = TEXT) -> List[Text]:
        tokens = super()._get_processed_message_tokens_by_attribute(message, attribute)
        if attribute != TEXT:
            return tokens
        return [token_pinyin(token) for token in tokens]
