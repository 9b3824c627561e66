"""What a read-aloud request asks for and how it is refused: light (no speech engine), so the Rasa server
can refuse in the customer's language when the voice gateway is down and the gateway can check requests.

    POST /webhooks/webchat/speak  {"text", "language"?, "options"?: [button titles]}
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, Optional, Tuple

from actions.service.constants import LANGUAGES
from actions.service.language import text_language
from voice.phrases import SPEAK_REFUSALS

MAX_SPEAK_CHARS = 1000        # longer is refused (413): the page sends at most this much
MAX_SPEAK_OPTIONS = 12        # button titles read after the text
SPEAK_STATUS = {"bad_request": 400, "too_long": 413, "busy": 429, "no_voice": 503}
OPTIONS = {"zh-Hans": "您可以说：", "zh-Hant": "您可以說：", "yue": "你可以講：", "en": "You can say: "}

_URL = re.compile(r"https?://\S+")


def spoken_text(message: Dict[str, Any], language: str) -> str:
    """What to say for a bot message: its text without links, then its button titles as options."""
    text = _URL.sub("", message.get("text") or "")
    text = re.sub(r"[*_`#>]+", "", text).strip()
    titles = [str(button.get("title", "")).strip() for button in message.get("buttons") or []]
    titles = [title for title in titles if title]
    if titles:
        separator = ", " if language == "en" else "、"
        text = f"{text}\n{OPTIONS.get(language, OPTIONS['zh-Hans'])}{separator.join(titles)}".strip()
    return text


def speak_request(body: bytes) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """(what to say, None) or (None, refusal kind) for the JSON body of POST /speak."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None, "bad_request"
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None, "bad_request"
    text = data["text"].strip()
    options = data.get("options") or []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        return None, "bad_request"
    if len(text) > MAX_SPEAK_CHARS or len(options) > MAX_SPEAK_OPTIONS \
            or sum(len(o) for o in options) > MAX_SPEAK_CHARS:
        return None, "too_long"
    language = text_language(text, data.get("language"))
    said = spoken_text({"text": text, "buttons": [{"title": o} for o in options]}, language)
    if not said:
        return None, "bad_request"
    return {"text": said, "language": language}, None


def claimed_language(body: bytes) -> Optional[str]:
    """The language a refused request asked for, to refuse in it (best effort)."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    language = data.get("language") if isinstance(data, dict) else None
    return language if language in LANGUAGES else None


def refusal(kind: str, language: Optional[str]) -> Tuple[Dict[str, str], int]:
    """The JSON body and status of a refused read-aloud, in the customer's language."""
    variants = SPEAK_REFUSALS[kind]
    return {"error": kind, "message": variants.get(language or "", variants["zh-Hans"])}, SPEAK_STATUS[kind]
