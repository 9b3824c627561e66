"""Facts every layer shares (actions, channels, voice): the languages, the one-press human lane, the senior age.

Plain values, no Rasa and no database, so a channel or the voice gateway may import them too.
"""
from __future__ import annotations

LANGUAGES = ("zh-Hans", "zh-Hant", "yue", "en")  # Simplified, Traditional, written Cantonese, English
DEFAULT_LANGUAGE = "zh-Hans"

HUMAN_PAYLOAD = "/request_human"  # the human button on every channel (key 0 on the phone)

SENIOR_AGE = 65  # from this age the green lane: first in the agents' queue, a person offered first
