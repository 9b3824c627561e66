"""What the chat channels themselves say, in the customer's language: refusals, the human lane's notices.

The bot's own sentences live in the domain (bot/domain/*.yml); Telegram's screens in telegram_screens.py,
the pages' in bot/pages/phrases.py, the phone's in voice/phone/prompts.py.
"""
from __future__ import annotations

from voice.phrases import TURN_FAILED

# The channel's own answers to input it refuses or could not pass on (None: the text does not tell
# which language, so both).
POLITE = {
    "slow_down": {
        "zh-Hans": "您发得有点快，请稍等一下再发。",
        "zh-Hant": "您發得有點快，請稍等一下再發。",
        "yue": "您打得有啲快，請等一陣先再發。",
        "en": "You're sending messages a little fast. Please wait a moment.",
    },
    "empty": {
        "zh-Hans": "请说说您需要什么帮助。Please tell me what you need.",
    },
    "type_question": {
        "zh-Hans": "请直接打字告诉我您的问题。",
        "zh-Hant": "請直接打字告訴我您的問題。",
        "yue": "請直接打字話我知您嘅問題。",
        "en": "Please type your question.",
        None: "请直接打字告诉我您的问题。Please type your question.",
    },
    "failed": TURN_FAILED,  # the voice gateway says it too
}

# Answers to a request that is not a chat message at all: we cannot tell the language, so both.
BAD_REQUEST = {
    "not_json": "请用 JSON 发送：{\"sender\": \"…\", \"message\": \"…\"}。"
                "Please send JSON: {\"sender\": \"…\", \"message\": \"…\"}.",
    "missing": "请在 sender 里写上对话编号。Please name the conversation in \"sender\".",
    "too_long": "对话编号太长了，请用 128 个字符以内的编号。The sender id is too long. Please use at most 128 characters.",
    "not_text": "请用文字写对话编号。Please write the sender id as text.",
    "bad_metadata": "请把 metadata 写成一个 JSON 对象。Please send \"metadata\" as a JSON object.",
    "slow_down": POLITE["slow_down"]["zh-Hans"] + POLITE["slow_down"]["en"],
}

# What a text-only channel puts before an agent's words, so every message says who wrote it.
AGENT_LABEL = {"zh-Hans": "人工客服", "zh-Hant": "人工客服", "yue": "人工客服", "en": "Agent"}
JOINED = {
    "zh-Hans": "人工客服{agent}已接入，请讲。",
    "zh-Hant": "人工客服{agent}已接入，請講。",
    "yue": "人工客服{agent}已經接咗，請講。",
    "en": "{agent} from our service team has joined. Go ahead.",
}
# An agent checked the customer's identity in the console: the bot now knows them too.
VERIFIED_BY_AGENT = {
    "zh-Hans": "客服已核实您的身份。",
    "zh-Hant": "客服已核實您的身份。",
    "yue": "客服已經核實咗您嘅身份。",
    "en": "Our agent has confirmed who you are.",
}

# The queue's news to a waiting customer.
PLACE = {
    "zh-Hans": "您前面还有{ahead}位，大约等{minutes}分钟。请不要挂断，也可以继续打字。",
    "zh-Hant": "您前面還有{ahead}位，大約等{minutes}分鐘。請不要掛斷，也可以繼續打字。",
    "yue": "您前面仲有{ahead}位，大約等{minutes}分鐘。唔好收線，都可以繼續打字。",
    "en": "{ahead} ahead of you, about {minutes} min. Please stay; you can keep typing.",
}
NEXT = {
    "zh-Hans": "马上就到您了，大约还要{minutes}分钟。请稍等。",
    "zh-Hant": "馬上就到您了，大約還要{minutes}分鐘。請稍等。",
    "yue": "即刻到您，大約仲要{minutes}分鐘。請等等。",
    "en": "You're next, about {minutes} min. Just a moment.",
}


# A queued customer who writes (bot/channels/waiting_replies.py): a repeated request for a person,
# and past the promised wait, an apology and the call-back offer.
ALREADY_QUEUED = {
    "zh-Hans": "您已经在排队了，不用再按。",
    "zh-Hant": "您已經在排隊了，不用再按。",
    "yue": "您已經排緊隊，唔使再㩒。",
    "en": "You're already in the queue; no need to press again.",
}
SORRY_TO_KEEP_YOU = {
    "zh-Hans": "抱歉让您久等了。",
    "zh-Hant": "抱歉讓您久等了。",
    "yue": "唔好意思，要您等咗咁耐。",
    "en": "Sorry to keep you waiting.",
}
CALL_BACK_OFFER = {
    "zh-Hans": "不想等的话，选个时间，我们给您回电话：",
    "zh-Hant": "不想等的話，選個時間，我們給您回電話：",
    "yue": "唔想等嘅話，揀個時間，我哋打返畀您：",
    "en": "Rather not wait? Pick a time and we'll call you back:",
}
