"""Small readers of the tracker that every action needs."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.service.formatting import mask_id_answer
from actions.service.core.interactions import Interaction
from actions.service.customers.identity_proof import conversation_scope, proven_customer
from actions.service.language import conversation_language, looks_like_code, to_simplified, to_traditional

IDENTITY_PROOF_SLOT = "identity_proof"


def language_of(tracker: Tracker) -> str:
    return conversation_language(tracker.get_slot("language"))


def customer_id_of(tracker: Tracker) -> Optional[int]:
    """The verified customer's id, or None: every policy action checks this itself too.

    The slots alone prove nothing (a posted tracker can say anything): the signed proof that the
    identity check set for this conversation must name the same customer.
    """
    if not tracker.get_slot("verified"):
        return None
    proven = proven_customer(tracker.get_slot(IDENTITY_PROOF_SLOT), proof_scope_of(tracker))
    return proven if proven is not None and proven == tracker.get_slot("customer_id") else None


def proof_scope_of(tracker: Tracker) -> str:
    """The conversation this turn belongs to, as a verified identity is bound to it."""
    return conversation_scope(tracker.sender_id, channel_of(tracker))


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or ""


def intent_of(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def interaction_of(tracker: Tracker, intent: Optional[str] = None) -> Interaction:
    """Who, where, in which language and about what: the context stored with every record.

    `intent` names what a form was about; its last turn's intent is only the final answer (affirm).
    """
    return Interaction(tracker.sender_id, customer_id_of(tracker), channel_of(tracker), language_of(tracker),
                       intent or intent_of(tracker))


def transcript_of(tracker: Tracker, limit: int = 40) -> List[Tuple[str, str]]:
    """(speaker, text) of the conversation so far, oldest first, for the human agent."""
    lines = []
    for event in tracker.events:
        if event.get("event") == "user" and event.get("text"):
            lines.append(("customer", mask_id_answer(event["text"])))  # stored for agents: no ID digits
        elif event.get("event") == "bot" and event.get("text"):
            lines.append(("bot", event["text"]))
    return lines[-limit:]


NOT_UNDERSTOOD = ("nlu_fallback", "out_of_scope")


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many user turns in a row, ending with the latest, the bot could not help with."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if (event.get("parse_data") or {}).get("intent", {}).get("name") in NOT_UNDERSTOOD:
            count += 1
        else:
            break
    return count


def button(title: str, payload: str, language: str) -> dict:
    """A button built in code; Chinese titles are written in the customer's script."""
    if language in ("zh-Hant", "yue"):
        title = to_traditional(title, language)
    return {"title": title, "payload": payload}


_STOP_WORDS = re.compile(r"不报了|不报案了|取消|算了|不用了|不要了|不办了|唔使了|唔要了|cancel|\bstop\b|never ?mind|forget it",
                         re.IGNORECASE)


def wants_to_stop(tracker: Tracker) -> bool:
    """The customer gives up the form in their own words ("算了", "cancel"): let them out, nothing stored."""
    text = to_simplified(tracker.latest_message.get("text") or "")
    return not text.startswith("/") and _STOP_WORDS.search(text) is not None


AFFIRM_PAYLOAD = "/affirm"
# Below this the model is guessing: a confirmation that changes data or files a claim needs a clear yes.
CLEAR_YES_CONFIDENCE = 0.6


def is_clear_yes(tracker: Tracker) -> bool:
    """At a confirmation only a clear yes counts: the button, or typed words the model is sure mean yes.
    Markup or query syntax (<script>…, ' OR 1=1 --) is never a yes, whatever the model thinks."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    if intent.get("name") != "affirm":
        return False
    text = (message.get("text") or "").strip()
    if text.startswith("/"):
        return text == AFFIRM_PAYLOAD
    return not looks_like_code(text) and (intent.get("confidence") or 0) >= CLEAR_YES_CONFIDENCE


def document_attachment(tracker: Tracker, url: str) -> Dict[str, Any]:
    """On Telegram the file itself follows the link (the channel uploads it); elsewhere the link is enough."""
    return {"attachment": {"type": "document", "url": url}} if channel_of(tracker) == "telegram" else {}


def service_completed() -> SlotSet:
    """Marks a finished self-service flow, after which the customer is asked for one rating."""
    return SlotSet("service_completed", True)
