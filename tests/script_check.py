"""Is a customer-facing text in the language and script it is meant for? (tests only)

- English: no Chinese characters at all.
- Simplified (zh-Hans): no character that OpenCC's t2s would change (a Traditional-only one).
- Traditional (zh-Hant) and Cantonese (yue): no character that both OpenCC's s2t and the regional
  conversion (s2tw / s2hk) would change, so no Simplified-only character slipped in (a product name,
  a written Cantonese variation). Both, because s2hk also turns Traditional into Hong Kong variants
  (搵 -> 揾, 戶 -> 户), which are not mistakes.
Placeholders ({product}) and links are not words and are left out.
"""
from __future__ import annotations

import re
from typing import Optional

from opencc import OpenCC

from actions.service.language import to_simplified_char, to_traditional

_S2T = OpenCC("s2t")

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NOT_WORDS = re.compile(r"\{[A-Za-z_]+\}|https?://\S+")


def script_problem(text: str, language: str) -> Optional[str]:
    """None when the text is in the language's script; else what is wrong, for the failure message."""
    words = _NOT_WORDS.sub("", text or "")
    if language == "en":
        han = _HAN.findall(words)
        return f"Chinese in an English text: {''.join(han)}" if han else None
    if language == "zh-Hans":
        traditional = [c for c in words if _HAN.match(c) and to_simplified_char(c) != c]
        return f"Traditional characters in Simplified: {''.join(traditional)}" if traditional else None
    regional, generic = to_traditional(words, language), _S2T.convert(words)
    simplified = "".join(a for a, b, c in zip(words, regional, generic) if a != b and a != c)
    return f"Simplified characters in {language}: {simplified}" if simplified else None
