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


# A turn failed (the bot or the gateway): an apology, never a stack trace or silence. The chat channels say it too.
TURN_FAILED: Dict[str, str] = {
    "zh-Hans": "抱歉，系统刚才出了点问题。请再说一次，或者说“转人工”。",
    "zh-Hant": "抱歉，系統剛才出了點問題。請再說一次，或者說「轉人工」。",
    "yue": "唔好意思，系統頭先有啲問題。請再講一次，或者講「轉人工」。",
    "en": "Sorry, something went wrong on our side. Please try again, or say \"human\".",
}


# The web chat's read-aloud button, when it cannot read (voice/gateway/speak.py; with the gateway down,
# the Rasa server says no_voice itself).
SPEAK_REFUSALS = {
    "bad_request": {
        "zh-Hans": "没有可以朗读的文字。", "zh-Hant": "沒有可以朗讀的文字。",
        "yue": "冇可以讀出嚟嘅文字。", "en": "There is no text to read aloud.",
    },
    "too_long": {
        "zh-Hans": "这段文字太长，不能朗读。", "zh-Hant": "這段文字太長，不能朗讀。",
        "yue": "段文字太長，讀唔到。", "en": "This text is too long to read aloud.",
    },
    "busy": {
        "zh-Hans": "请稍等一下再按朗读。", "zh-Hant": "請稍等一下再按朗讀。",
        "yue": "請等一陣先再撳朗讀。", "en": "Please wait a moment before reading aloud again.",
    },
    "no_voice": {
        "zh-Hans": "暂时不能朗读，请看文字。", "zh-Hant": "暫時不能朗讀，請看文字。",
        "yue": "暫時讀唔到，請睇文字。", "en": "Reading aloud is not available right now. Please read the text.",
    },
}


# A voice message while the voice gateway is down (Rasa answers it): the text channels still work.
VOICE_UNAVAILABLE = {
    "zh-Hans": "现在暂时听不了语音，请稍后再试，或者打字告诉我。",
    "zh-Hant": "現在暫時聽不了語音，請稍後再試，或者打字告訴我。",
    "yue": "而家暫時聽唔到語音，請遲啲再試，或者打字話我知。",
    "en": "I can't listen to voice messages right now. Please try again later, or type instead.",
}
