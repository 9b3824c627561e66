"""Sentences both voice gateways say (voice messages and the phone), one table for both surfaces."""
from __future__ import annotations

from typing import Dict

# Nothing usable was heard: the caller is asked to say it again, in their language.
NOT_HEARD: Dict[str, str] = {
    "zh-Hans": "不好意思，我没听清。请再说一次。",
    "zh-Hant": "不好意思，我沒聽清楚。請再說一次。",
    "yue": "唔好意思，我聽唔清楚。麻煩你再講一次。",
    "en": "Sorry, I didn't catch that. Please say it again.",
}
