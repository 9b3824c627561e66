"""What the phone gateway itself says (the bot's answers come from Rasa's responses).

Written for older callers: short sentences, at most four options, the option before its key
("普通话，请按1" — the caller knows what the key does before hearing which key), and a
Traditional/Cantonese wording where it differs. A prompt is a list of (language, text)
segments so that the language menu says each language in its own voice.
"""
from __future__ import annotations

import re
from typing import Dict, List, Tuple

from actions.service.constants import HUMAN_PAYLOAD
from voice.phrases import NOT_HEARD

Segment = Tuple[str, str]  # (product language: zh-Hans | zh-Hant | yue | en, text)

# Keys of the language menu -> product language.
LANGUAGE_KEYS: Dict[str, str] = {"1": "zh-Hans", "2": "yue", "3": "en"}
HUMAN_KEY, REPEAT_KEY, MENU_KEY, ENTER_KEY = "0", "9", "*", "#"
_RATING = re.compile(r'^/give_feedback\{"rating":\s*"([1-5])"\}$')

_TEXT: Dict[str, Dict[str, str]] = {
    "welcome": {
        "zh-Hans": "您好，这里是安心保险。请直接说您要办的事。",
        "zh-Hant": "您好，這裡是安心保險。請直接說您要辦的事。",
        "yue": "您好，呢度係安心保險。請直接講您想辦咩事。",
        "en": "Hello, this is Anxin Life. Please tell me what you need.",
    },
    "human_option": {
        "zh-Hans": "找人工客服，请按0。",
        "zh-Hant": "找人工客服，請按0。",
        "yue": "搵人工客服，請按0。",
        "en": "For a person, press 0.",
    },
    "human_first": {
        "zh-Hans": "您好，这里是安心保险。找人工客服，请按0，马上为您接通。也可以直接说您要办的事。",
        "zh-Hant": "您好，這裡是安心保險。找人工客服，請按0，馬上為您接通。也可以直接說您要辦的事。",
        "yue": "您好，呢度係安心保險。搵人工客服，請按0，即刻幫您接通。都可以直接講您想辦咩事。",
        "en": "Hello, this is Anxin Life. For a person, press 0 and we will put you through now. "
              "Or just tell me what you need.",
    },
    "menu_option": {
        "zh-Hans": "普通话，请按1。",
        "yue": "廣東話，請按2。",
        "en": "For English, press 3.",
    },
    "language_chosen": {
        "zh-Hans": "好的，我们讲普通话。请说您要办的事。",
        "zh-Hant": "好的，我們講國語。請說您要辦的事。",
        "yue": "好嘅，我哋講廣東話。請講您想辦咩事。",
        "en": "All right, English it is. Please tell me what you need.",
    },
    "not_heard": NOT_HEARD,  # the voice-message channel says the same (voice/phrases.py)
    "repeat": {
        "zh-Hans": "我再说一遍。",
        "zh-Hant": "我再說一遍。",
        "yue": "我再講一次。",
        "en": "I'll say that again.",
    },
    # The bot server cannot be reached (voice/phone/bot_outage.py): the first time, an apology and
    # "say it again"; the human_option follows it.
    "bot_busy": {
        "zh-Hans": "抱歉，系统现在有点忙。请稍等一下，再说一遍。",
        "zh-Hant": "抱歉，系統現在有點忙。請稍等一下，再說一遍。",
        "yue": "唔好意思，系統而家有啲忙。請等一陣，再講一次。",
        "en": "Sorry, our system is busy right now. Please say that again in a moment.",
    },
    # Still unreachable, or 0 pressed: a call-back ticket was opened. {ticket} is read digit by digit.
    "callback_ticket": {
        "zh-Hans": "抱歉，系统现在很忙。我们已经记下您的事。工作人员会尽快给您回电话。您的服务单号是：{ticket}。",
        "zh-Hant": "抱歉，系統現在很忙。我們已經記下您的事。工作人員會盡快給您回電話。您的服務單號是：{ticket}。",
        "yue": "唔好意思，系統而家好忙。我哋已經記低咗您嘅事。職員會盡快打返俾您。您嘅服務單號係：{ticket}。",
        "en": "Sorry, our system is busy right now. We have noted your request. A person will call you back soon. "
              "Your ticket number is {ticket}.",
    },
    # The same, when the caller's number is withheld: nobody can call back, so they are asked to call again.
    "ticket_call_again": {
        "zh-Hans": "抱歉，系统现在很忙。我们已经记下您的事。请您稍后再打过来。您的服务单号是：{ticket}。",
        "zh-Hant": "抱歉，系統現在很忙。我們已經記下您的事。請您稍後再打過來。您的服務單號是：{ticket}。",
        "yue": "唔好意思，系統而家好忙。我哋已經記低咗您嘅事。請您遲啲再打嚟。您嘅服務單號係：{ticket}。",
        "en": "Sorry, our system is busy right now. We have noted your request. Please call us again later. "
              "Your ticket number is {ticket}.",
    },
    "rate_on_keys": {  # a 1-5 rating: the key is the score, so one sentence says it all
        "zh-Hans": "请按1到5打分，5分最满意。不想打分，请按井号键。",
        "zh-Hant": "請按1到5評分，5分最滿意。不想評分，請按井號鍵。",
        "yue": "請㩒1到5評分，5分最滿意。唔想評分，請㩒井號鍵。",
        "en": "Press 1 to 5 to rate us, 5 is best. To skip, press the hash key.",
    },
    "press_key": {  # the option is said first, then its key
        "zh-Hans": "{option}，请按{key}。",
        "zh-Hant": "{option}，請按{key}。",
        "yue": "{option}，請按{key}。",
        "en": "{option}, press {key}.",
    },
}


def text(name: str, language: str, **values: str) -> str:
    variants = _TEXT[name]
    chosen = variants.get(language) or (variants.get("zh-Hant") if language == "yue" else None) or variants["zh-Hans"]
    return chosen.format(**values) if values else chosen


_DIGIT_WORDS = {"zh": "零一二三四五六七八九",
                "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")}


def spoken_reference(reference: str, language: str) -> str:
    """A ticket reference read one character at a time (H000042 -> "H、零、零、零、零、四、二"): an elder
    can write it down, and no voice reads 000042 as "forty-two"."""
    english = language == "en"
    words = _DIGIT_WORDS["en" if english else "zh"]
    spoken = [words[int(c)] if c.isdigit() else c for c in reference]
    return ", ".join(spoken) if english else "、".join(spoken)


def welcome(language: str, known_caller: bool, senior: bool) -> List[Segment]:
    """The first prompt. A senior caller hears the human lane first; an unknown caller, the language menu."""
    if senior:
        return [(language, text("human_first", language))]
    if known_caller:
        return [(language, text("welcome", language)), (language, text("human_option", language))]
    return [("zh-Hans", text("welcome", "zh-Hans"))] + language_menu() + [("zh-Hans", text("human_option", "zh-Hans"))]


def language_menu() -> List[Segment]:
    return [(language, text("menu_option", language)) for language in LANGUAGE_KEYS.values()]


def key_options(buttons: List[Tuple[str, str]], language: str) -> Tuple[List[Segment], Dict[str, str]]:
    """A bot message's buttons as spoken options: at most three numbered ones, the human lane on 0.

    Returns the segments to say and the key -> payload map to act on.
    """
    ratings = {_RATING.match(payload).group(1): payload for _, payload in buttons if _RATING.match(payload)}
    if len(ratings) == 5:  # the rating question: the key is the score, # skips
        skip = next((payload for _, payload in buttons if payload == "/deny"), None)
        return [(language, text("rate_on_keys", language))], {**ratings, **({ENTER_KEY: skip} if skip else {})}
    numbered = [(title, payload) for title, payload in buttons if payload != HUMAN_PAYLOAD][:3]
    human = [(title, payload) for title, payload in buttons if payload == HUMAN_PAYLOAD][:1]
    keys: Dict[str, str] = {}
    segments: List[Segment] = []
    # The human lane is said last, where callers expect it.
    for key, (title, payload) in [(str(n), b) for n, b in enumerate(numbered, 1)] + [(HUMAN_KEY, b) for b in human]:
        keys[key] = payload
        segments.append((language, text("press_key", language, option=title, key=key)))
    return segments, keys
