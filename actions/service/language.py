"""Which language a customer writes in, which one they ask for, and which one the bot answers in.

The one place that decides the customer's language: every channel, action and the voice gateway ask
here (conversation_language, customer_language, text_language, language_for_turn, language_slot_update).
Plain Python, no Rasa.

Languages: zh-Hans (Simplified), zh-Hant (Traditional), yue (written Cantonese), en.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Mapping, Optional

from opencc import OpenCC

from actions.service.constants import DEFAULT_LANGUAGE, LANGUAGES

_to_simplified = OpenCC("t2s")
_to_traditional = {"zh-Hant": OpenCC("s2tw"), "yue": OpenCC("s2hk")}

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_VOWEL = re.compile(r"[aeiouy]", re.IGNORECASE)  # "qwrt" or "xkcd" is a keyboard, not an English word
# Markup or query syntax (<script>alert(1)</script>, ' OR 1=1 --) is nobody's language: it must not
# switch the answers to English.
_CODE = re.compile(r"<\s*/?\s*[a-z!][^>]*>|[=;{}`\\|]|--|/\*|\b(?:select|union|insert|drop|delete)\s", re.IGNORECASE)
# Latin words that Chinese speakers type too; alone they say nothing about the language.
_NEUTRAL_LATIN_WORDS = {"ok", "okay", "yes", "no", "hi", "bye", "thx", "cl", "p"}
# Characters and words that only written Cantonese uses.
_CANTONESE = re.compile(r"[嘅咗喺冇唔佢哋啲嘢睇搵揾畀咩乜嚟攞啱噉㗎嘞囉嗰咪]|係咪|點樣|點解|邊度|邊個|呢度|幾多|幾時|而家|宜家|唔該|多謝晒")

# What a customer calls each language when asking for it.
_LANGUAGE_NAMES = {
    "en": r"english|英文|英语|英語",
    "yue": r"cantonese|广东话|廣東話|粤语|粵語|白话|白話",
    "zh-Hant": r"traditional|繁体|繁體",
    "zh-Hans": r"mandarin|putonghua|普通话|普通話|国语|國語|简体|簡體|chinese|中文",
}
# "I can't read English" asks for the *other* language, not for English.
_NEGATION_WINDOW = 24
_NOT_UNDERSTOOD = r"(不懂|看不懂|听不懂|聽不懂|唔识|唔識|睇唔明|听唔明|聽唔明|唔明|don'?t understand|can'?t read|cannot read|no)\s*"


@lru_cache(maxsize=4096)
def to_simplified_char(char: str) -> str:
    return _to_simplified.convert(char)


def to_simplified(text: str) -> str:
    """Traditional -> Simplified, character by character so offsets stay the same."""
    return "".join(to_simplified_char(c) for c in text)


def to_traditional(text: str, language: str = "zh-Hant") -> str:
    """Simplified -> Traditional (Taiwan standard for zh-Hant, Hong Kong standard for yue)."""
    return _to_traditional["yue" if language == "yue" else "zh-Hant"].convert(text)


def localized(chinese: str, english: str, language: Optional[str]) -> str:
    """A data text (a product's name) in the customer's language and script."""
    if language == "en":
        return english or chinese
    return to_traditional(chinese, language) if language in ("zh-Hant", "yue") else chinese


def _named_languages(text: str):
    """(language, negated) for each language the text names, in order."""
    lowered = (text or "").lower()
    for language, names in _LANGUAGE_NAMES.items():
        for match in re.finditer(names, lowered):
            before = lowered[max(0, match.start() - _NEGATION_WINDOW):match.start()]
            yield language, bool(re.search(_NOT_UNDERSTOOD + r"$", before))


def requested_language(text: str) -> Optional[str]:
    """The language the customer asks for by name ('讲广东话', 'in English'), if any."""
    return next((language for language, negated in _named_languages(text) if not negated), None)


def rejected_language(text: str) -> Optional[str]:
    """The language the customer says they cannot read ('我看不懂英文', "I can't read Chinese")."""
    return next((language for language, negated in _named_languages(text) if negated), None)


def detect_language(text: str) -> Optional[str]:
    """The language the text is written in.

    "zh" when it is Chinese written only with characters both scripts share (你好), None when
    it does not tell at all (digits, emoji, 'ok').
    """
    text = text or ""
    han = _HAN.findall(text)
    if not han:
        if looks_like_code(text):
            return None
        words = {w.lower() for w in _LATIN_WORD.findall(text) if _VOWEL.search(w)}
        return "en" if words - _NEUTRAL_LATIN_WORDS else None
    if _CANTONESE.search(text):
        return "yue"
    traditional = sum(1 for c in han if to_simplified_char(c) != c)
    simplified = sum(1 for c in han if to_traditional(c) != c)
    if traditional > simplified:
        return "zh-Hant"
    if simplified > traditional:
        return "zh-Hans"
    return "zh"


def looks_like_code(text: str) -> bool:
    """Markup or query syntax rather than words a customer would type."""
    return bool(_CODE.search(text or ""))


def language_for_turn(text: str, current: Optional[str]) -> str:
    """The language to answer this turn in: an explicit request, else the script used, else the last one.

    Cantonese stays Cantonese when the customer writes plain Traditional Chinese (many Hong Kong
    people write standard Chinese but speak Cantonese).
    """
    current = conversation_language(current)
    asked = requested_language(text)
    if asked:
        return asked
    detected = detect_language(text)
    rejected = rejected_language(text)
    if rejected == "en":
        if current != "en":
            return current
        return detected if detected in ("zh-Hans", "zh-Hant", "yue") else DEFAULT_LANGUAGE
    if rejected == "zh-Hans":
        return "zh-Hant" if detected in ("zh", "zh-Hant", "yue") else "en"
    if rejected in ("zh-Hant", "yue"):
        return DEFAULT_LANGUAGE
    if detected == "zh":
        return DEFAULT_LANGUAGE if current == "en" else current
    if detected is None or (detected == "zh-Hant" and current == "yue"):
        return current
    return detected


EXTERNAL_MESSAGE_PREFIX = "EXTERNAL: "  # Rasa's text for trigger_intent (rasa.shared.constants)


def language_slot_update(text: str, current: Optional[str]) -> Optional[str]:
    """The language slot's new value after a user message, or None when it stays as it is.

    A button payload ("/intent"), or Rasa's "EXTERNAL: <intent>" for trigger_intent (pushes,
    reminders), says nothing about the customer's language.
    """
    text = text or ""
    if text.startswith("/") or text.startswith(EXTERNAL_MESSAGE_PREFIX):
        return None
    language = language_for_turn(text, current)
    return language if language != current else None


# --- the customer's language, whatever the channel ---------------------------------------------

CANTONESE_DIALECT_WORDS = ("cantonese", "yue", "粤", "粵")  # a stored dialect that means Cantonese


def in_language(variants: Mapping[Optional[str], str], language: Optional[str]) -> str:
    """A sentence table's variant for the language, the default language's where it has none."""
    return variants.get(language or "", variants[DEFAULT_LANGUAGE])


def conversation_language(slot: Optional[str]) -> str:
    """The conversation's language from its language slot: the default until one is chosen."""
    return slot if slot in LANGUAGES else DEFAULT_LANGUAGE


def speaks_cantonese(language: Optional[str], dialect: Optional[str]) -> bool:
    """A customer whose stored language or dialect is Cantonese."""
    return language == "yue" or any(word in (dialect or "").lower() for word in CANTONESE_DIALECT_WORDS)


def customer_language(language: Optional[str], dialect: Optional[str] = "", spoken: bool = False) -> str:
    """The bot's language for a stored customer (language + dialect).

    Cantonese speakers who read Traditional Chinese get written Cantonese; on the phone (spoken) every
    Cantonese speaker hears Cantonese, whatever script they read.
    """
    if speaks_cantonese(language, dialect) and (spoken or language in ("zh-Hant", "yue")):
        return "yue"
    return conversation_language(language)


def text_language(text: str, claimed: Optional[str] = None) -> str:
    """The language to answer a text in outside a conversation: the one claimed, else the one written."""
    if claimed in LANGUAGES:
        return claimed
    detected = detect_language(text)
    return detected if detected in LANGUAGES else DEFAULT_LANGUAGE


def language_from_locale(code: Optional[str]) -> str:
    """A first guess from an app's or browser's locale (en-GB, zh-HK ...) until the customer writes or chooses."""
    code = (code or "").lower()
    if code.startswith("en"):
        return "en"
    if code in ("zh-hant", "zh-tw", "zh-hk", "zh-mo"):
        return "zh-Hant"
    return DEFAULT_LANGUAGE
