"""Numbers as customers say or type them: full-width digits, Chinese digits, spoken amounts."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Optional

import cn2an

# Digits read one by one, as people read phone numbers aloud (幺 = 1 on the phone).
_CHINESE_DIGITS = str.maketrans("零〇一二三四五六七八九幺两兩", "00123456789122")


def digit_string(text: str, keep_x: bool = False) -> str:
    """All digits in the text, in order: '１３８ 0000-0001' or '一三八…' -> '138…'.

    keep_x keeps the letter X, the check digit of Chinese ID cards.
    """
    normalized = unicodedata.normalize("NFKC", text or "").upper().translate(_CHINESE_DIGITS)
    return re.sub(r"[^0-9X]" if keep_x else r"\D", "", normalized)


_AMOUNT_RUN = re.compile(r"[0-9.零〇一二三四五六七八九十百千万萬亿億两兩]+")


def parse_amount(text: str) -> Optional[Decimal]:
    """An amount of money: '50000', '5万', '五万块', '¥12,000.50', '10k', '12万5千'. None if none."""
    normalized = unicodedata.normalize("NFKC", text or "").lower().replace(",", "").replace(" ", "")
    normalized = normalized.replace("萬", "万").replace("億", "亿").replace("兩", "两")
    match = re.search(r"(\d+(?:\.\d+)?)k(?![a-z])", normalized)
    if match:
        return Decimal(match.group(1)) * 1000
    for run in _AMOUNT_RUN.findall(normalized):
        if not run.strip("."):
            continue
        try:
            value = cn2an.cn2an(run, "smart")
        except (ValueError, KeyError, TypeError):
            continue
        try:
            return Decimal(str(value))
        except InvalidOperation:
            continue
    return None
