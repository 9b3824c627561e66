"""What a customer may send a chat channel, checked before Rasa sees it. Pure functions, no Sanic.

Rasa itself trusts its channels: it stores any sender id in every event, crashes on a message that
is not text, passes lone surrogates on to the action server (which then fails to encode them) and
reads `/EXTERNAL_human_resolved` typed by a customer as the internal intent.
"""
from __future__ import annotations

import re
from typing import Any, Optional

MAX_SENDER_ID_CHARS = 128  # a uuid, a chat id or a call SID fits many times over
# Intents only the Rasa server sends (the human lane's EXTERNAL_human_resolved, ...): never a customer.
_INTERNAL_INTENT = re.compile(r"^\s*/\s*EXTERNAL_", re.IGNORECASE)


def clean_text(text: str) -> str:
    """The text with lone surrogates (invalid in UTF-8, e.g. JSON's "\\ud800") replaced by U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def is_internal_intent(text: str) -> bool:
    return bool(_INTERNAL_INTENT.match(text or ""))


def sender_id_problem(sender_id: Any) -> Optional[str]:
    """Why a sender id cannot name a conversation ("missing", "too_long", "not_text"), or None if it can."""
    if isinstance(sender_id, bool) or not isinstance(sender_id, (str, int)):
        return "missing" if sender_id is None else "not_text"
    text = str(sender_id)
    if not text.strip():
        return "missing"
    if len(text) > MAX_SENDER_ID_CHARS:
        return "too_long"
    if clean_text(text) != text:
        return "not_text"
    return None


def clean_metadata(value: Any, depth: int = 0) -> Any:
    """Client metadata with every string cleaned (it is stored and sent to the action server too)."""
    if depth > 10:
        return None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_metadata(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_metadata(v, depth + 1) for v in value]
    return value
