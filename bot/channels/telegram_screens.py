"""What a Telegram customer sees besides the bot's answers: keyboards, menus, commands, notices.

Written for old eyes and hands: the human button is always the first, full-width row of a
persistent keyboard; the main menu has four big buttons; long button lists are paged. Texts are
written in Simplified Chinese, English and (where the words differ) Cantonese; Traditional Chinese
is generated with OpenCC, as bot/nlg.py does for the bot's answers.
"""
from __future__ import annotations

from typing import Dict, List, Optional

from actions.service.constants import DEFAULT_LANGUAGE, HUMAN_PAYLOAD, LANGUAGES
from actions.service.language import to_traditional

# Telegram's own limits.
MAX_CALLBACK_DATA_BYTES = 64
MAX_MESSAGE_CHARS = 4096
# Buttons per page of an inline keyboard, and per row (elder mode: one big button per row).
PAGE_SIZE = 6
ELDER_PAGE_SIZE = 4
BUTTONS_PER_ROW = 2

# Callback data the channel answers itself (bot payloads always start with "/").
CALLBACK_PREFIX = "tg:"

_TEXTS: Dict[str, Dict[str, str]] = {
    "human_button": {"zh-Hans": "🧑‍💼 转人工 / Human", "en": "🧑‍💼 Human agent"},
    "share_phone_button": {"zh-Hans": "📱 发送我的手机号", "yue": "📱 傳送我嘅手機號碼", "en": "📱 Share my phone number"},
    "welcome": {
        "zh-Hans": "您好，我是安心保险的小安。\n保单、交费、报案、理赔，都可以问我。\n随时按最上面的“转人工”找真人客服。\n\n请先选语言，和要不要用长辈版（大按钮，语音回复）。",
        "yue": "您好，我係安心保險嘅小安。\n保單、交費、報案、理賠，都可以問我。\n隨時撳最上面嘅「轉人工」搵真人客服。\n\n請先揀語言，同埋要唔要用長者版（大掣，語音回覆）。",
        "en": "Hello, I'm Anxin's assistant.\nAsk me about your policies, premiums, claims.\nPress \"Human agent\" at the top at any time to reach a person.\n\nPlease choose your language, and whether you want the large, spoken version.",
    },
    "choose_language": {"zh-Hans": "请选择语言：", "yue": "請揀語言：", "en": "Please choose a language:"},
    "elder_on_button": {"zh-Hans": "👴 长辈版：大按钮、语音回复", "yue": "👴 長者版：大掣、語音回覆", "en": "👴 Large & spoken version"},
    "elder_off_button": {"zh-Hans": "标准版", "yue": "標準版", "en": "Standard version"},
    "elder_on": {"zh-Hans": "已开启长辈版：按钮更大，回答也会读给您听。", "yue": "已經開咗長者版：掣大啲，答案都會讀俾您聽。",
                 "en": "Large & spoken version is on: bigger buttons, and answers are read aloud."},
    "elder_off": {"zh-Hans": "已切换到标准版。", "yue": "已經轉咗標準版。", "en": "Standard version is on."},
    "menu": {"zh-Hans": "请选择您要办的事，或者直接打字、发语音告诉我。", "yue": "請揀您要辦嘅事，或者直接打字、發語音話我知。",
             "en": "Choose what you need, or just type or send a voice message."},
    "stopped": {"zh-Hans": "好的，这次对话已结束，资料已清除。\n想再聊时，发 /start 就可以。",
                "yue": "好，今次對話已經完咗，資料已經清除。\n想再傾嘅時候，發 /start 就得。",
                "en": "OK, this conversation has ended and was cleared.\nSend /start whenever you want to talk again."},
    "not_your_contact": {"zh-Hans": "为了安全，只能用您自己的手机号验证。\n请按下面的“发送我的手机号”，或者直接打出号码。",
                         "yue": "為咗安全，只可以用您自己嘅手機號碼驗證。\n請撳下面「傳送我嘅手機號碼」，或者直接打出號碼。",
                         "en": "For your safety, only your own phone number can be used.\nPress \"Share my phone number\" below, or type the number."},
    "cannot_read_file": {"zh-Hans": "这个文件我看不了。理赔材料请按“报案”，或者转人工。",
                         "yue": "呢個文件我睇唔到。理賠文件請撳「報案」，或者轉人工。",
                         "en": "I can't read this file here. For claim papers press \"Report a claim\", or ask for a person."},
    "cannot_use": {"zh-Hans": "这类消息我还看不懂，请打字或者发语音。", "yue": "呢類訊息我仲睇唔明，請打字或者發語音。",
                   "en": "I can't use this kind of message yet. Please type or send a voice message."},
    "button_expired": {"zh-Hans": "这个按钮已过期，请再说一次您要办的事。", "yue": "呢個掣已經過期，請再講一次您要辦嘅事。",
                       "en": "This button has expired. Please tell me again what you need."},
    "voice_failed": {"zh-Hans": "这段语音我没听清，请再说一次，或者打字。", "yue": "呢段語音我聽唔清楚，請再講一次，或者打字。",
                     "en": "I couldn't make out that voice message. Please say it again, or type."},
    "voice_unavailable": {"zh-Hans": "现在暂时听不了语音，请打字告诉我。", "yue": "而家暫時聽唔到語音，請打字話我知。",
                          "en": "I can't listen to voice messages right now. Please type instead."},
    "private_only": {"zh-Hans": "为了保护您的信息，请在和我的私聊里问保单的事。", "yue": "為咗保護您嘅資料，請喺同我嘅私人對話度問保單嘅事。",
                     "en": "To protect your information, please talk to me in a private chat."},
    "next_page": {"zh-Hans": "下一页 ▶", "yue": "下一頁 ▶", "en": "Next ▶"},
    "previous_page": {"zh-Hans": "◀ 上一页", "yue": "◀ 上一頁", "en": "◀ Back"},
    "you_said": {"zh-Hans": "🎤 您说：", "yue": "🎤 您講：", "en": "🎤 You said: "},
}

# The main menu: (label per language, payload sent to the bot). Intent names are the DESIGN's.
MAIN_MENU = (
    ({"zh-Hans": "📄 我的保单", "yue": "📄 我嘅保單", "en": "📄 My policies"}, "/query_policy"),
    ({"zh-Hans": "💴 交费", "en": "💴 Pay premium"}, "/pay_premium"),
    ({"zh-Hans": "🚑 报案", "en": "🚑 Report a claim"}, "/report_claim"),
    ({"zh-Hans": "🔎 理赔进度", "yue": "🔎 理賠進度", "en": "🔎 Claim status"}, "/claim_status"),
)

LANGUAGE_CHOICES = (("简体中文", "zh-Hans"), ("繁體中文", "zh-Hant"), ("廣東話", "yue"), ("English", "en"))
# What choosing a language sends to the bot: words its language detection takes as a request.
LANGUAGE_REQUEST = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "yue": "講廣東話", "en": "English"}

# Bot commands shown in Telegram's menu: the default list in Chinese, an English list for English apps.
COMMANDS = (
    ("start", "开始（选语言、长辈版）", "Start (language, large version)"),
    ("human", "转人工客服", "Talk to a person"),
    ("menu", "主菜单", "Main menu"),
    ("lang", "换语言", "Change language"),
    ("stop", "结束对话", "End the conversation"),
)


def normal_language(language: Optional[str]) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def pick(variants: Dict[str, str], language: Optional[str]) -> str:
    """The variant for the language: yue falls back to Traditional, Traditional is generated."""
    language = normal_language(language)
    if language in variants:
        return variants[language]
    if language == "en":
        return variants.get("en", variants["zh-Hans"])
    return to_traditional(variants["zh-Hans"], language) if language in ("zh-Hant", "yue") else variants["zh-Hans"]


def say(key: str, language: Optional[str]) -> str:
    return pick(_TEXTS[key], language)


def menu_payloads() -> Dict[str, str]:
    """Every label a reply-keyboard button can send (all languages) -> the payload it stands for."""
    labels = {}
    for language in LANGUAGES:
        labels[say("human_button", language)] = HUMAN_PAYLOAD
        for variants, payload in MAIN_MENU:
            labels[pick(variants, language)] = payload
    return labels


def main_keyboard(language: Optional[str], ask_phone: bool = False) -> dict:
    """The persistent reply keyboard: the human button first and full width, then the menu.

    A plain dict: aiogram 2.15's types predate `is_persistent` (Bot API 6.4)."""
    rows: List[List[dict]] = [[{"text": say("human_button", language)}]]
    if ask_phone:
        rows.append([{"text": say("share_phone_button", language), "request_contact": True}])
    labels = [pick(variants, language) for variants, _ in MAIN_MENU]
    rows += [[{"text": label} for label in labels[i:i + 2]] for i in range(0, len(labels), 2)]
    return {"keyboard": rows, "is_persistent": True, "resize_keyboard": True,
            "input_field_placeholder": say("menu", language)[:64]}


def remove_keyboard() -> dict:
    return {"remove_keyboard": True}


def start_keyboard(language: Optional[str]) -> dict:
    """Language choice and the elder-mode choice, as inline buttons."""
    rows = [[{"text": title, "callback_data": f"{CALLBACK_PREFIX}lang:{code}"} for title, code in LANGUAGE_CHOICES[:2]],
            [{"text": title, "callback_data": f"{CALLBACK_PREFIX}lang:{code}"} for title, code in LANGUAGE_CHOICES[2:]],
            [{"text": say("elder_on_button", language), "callback_data": f"{CALLBACK_PREFIX}elder:1"}],
            [{"text": say("elder_off_button", language), "callback_data": f"{CALLBACK_PREFIX}elder:0"}]]
    return {"inline_keyboard": rows}


def language_keyboard() -> dict:
    return {"inline_keyboard": [[{"text": title, "callback_data": f"{CALLBACK_PREFIX}lang:{code}"}]
                                for title, code in LANGUAGE_CHOICES]}


def bot_commands(language: str) -> List[dict]:
    column = 2 if language == "en" else 1
    return [{"command": row[0], "description": row[column]} for row in COMMANDS]


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> List[str]:
    """Telegram refuses messages over 4096 characters: cut at line ends where possible."""
    parts = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return parts + [text] if text else parts
