"""How close a transcript is to what was said: the measure speech tests assert, with a margin.

Whisper's exact words on synthesized speech differ between machines (CTranslate2 picks CPU
kernels by instruction set; thread timing changes float sums), so a test that wants particular
characters is a coin toss on a machine it was not tuned on. Tests assert an error rate instead:
- Chinese is compared as toneless pinyin syllables, so a homophone (交费/缴费, 保费/包费) costs
  nothing and a wrong sound costs one syllable, as a listener would count it;
- English (and any Latin text) as lower-case characters, punctuation and spacing ignored.
A rate of 0 is a perfect hearing; a broken recognizer (silence, another language, its prompt echoed)
is near 1.
"""
from __future__ import annotations

import re
from typing import List

from pypinyin import lazy_pinyin
from rapidfuzz.distance import Levenshtein

_HAN = re.compile(r"[\u3400-\u9fff]")
_NOT_WORD = re.compile(r"[^\w]+")


def _units(text: str) -> List[str]:
    """Pinyin syllables for Chinese text, characters for everything else; punctuation dropped."""
    text = _NOT_WORD.sub("", text.lower())
    if _HAN.search(text):
        return [syllable for syllable in lazy_pinyin(text) if syllable.strip()]
    return list(text)


def error_rate(heard: str, said: str) -> float:
    """Edit distance between what was heard and what was said, per unit of what was said."""
    reference, hypothesis = _units(said), _units(heard)
    if not reference:
        return float(bool(hypothesis))
    return Levenshtein.distance(reference, hypothesis) / len(reference)


def assert_heard(heard: str, said: str, max_error: float = 0.5) -> None:
    rate = error_rate(heard, said)
    assert rate <= max_error, f"heard {heard!r} for {said!r}: error rate {rate:.2f} > {max_error}"
