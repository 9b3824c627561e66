"""Build rasa-sdk Trackers the way the action server does, run actions, read what they said."""
from __future__ import annotations

import asyncio
import inspect
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.service.customers.identity_proof import conversation_scope, sign_identity

SENDER = "chat-under-test"
# verified() marks the proof slot; make_tracker signs it for the tracker's own sender, as the identity check does.
SIGNED_FOR_THIS_CHAT = "<signed for this chat>"
# Keys every dispatched message has; anything else is a template variable.
_MESSAGE_KEYS = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}


def make_tracker(slots: Optional[Dict[str, Any]] = None, intent: Optional[str] = None, text: str = "",
                 entities: Optional[List[dict]] = None, events: Optional[List[dict]] = None,
                 active_loop: Optional[str] = None, sender_id: str = SENDER) -> Tracker:
    all_slots = {
        "language": "zh-Hans", "verified": False, "customer_id": None, "customer_name": None,
        "is_senior": None, "pending_request": None, "phone": None, "id_last4": None, "requested_slot": None,
    }
    all_slots.update(slots or {})
    if all_slots.get("identity_proof") == SIGNED_FOR_THIS_CHAT:
        channels = [e.get("input_channel") for e in events or [] if e.get("event") == "user"]
        scope = conversation_scope(sender_id, channels[-1] if channels else None)
        all_slots["identity_proof"] = sign_identity(int(all_slots["customer_id"]), scope)
    return Tracker.from_dict({
        "sender_id": sender_id,
        "slots": all_slots,
        "latest_message": {
            "intent": {"name": intent, "confidence": 0.99} if intent else {},
            "entities": entities or [],
            "text": text,
        },
        "events": events or [],
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    })


def verified(customer_id: int, **slots: Any) -> Dict[str, Any]:
    """The slots the identity check leaves: the flag, the id and the signed proof (actions.service.customers.identity_proof)."""
    # customer_id is a float slot in the domain, so Rasa sends it as a float.
    return {"verified": True, "customer_id": float(customer_id), "identity_proof": SIGNED_FOR_THIS_CHAT, **slots}


def user(text: str, intent: str = "inform", channel: str = "rest") -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}},
            "input_channel": channel}


def bot(text: str) -> dict:
    return {"event": "bot", "text": text}


def run(action, tracker: Tracker, domain: Optional[Dict[str, Any]] = None) -> Tuple[List[dict], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, tracker, domain or {})
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    return result, dispatcher


def said(dispatcher: CollectingDispatcher) -> List[str]:
    return [m["response"] for m in dispatcher.messages]


def variables(message: dict) -> Dict[str, Any]:
    return {k: v for k, v in message.items() if k not in _MESSAGE_KEYS}


def verification_module():
    """actions.verification imports actions.payments, which needs actions.service.policies.documents."""
    pytest.importorskip("actions.service.policies.documents",
                        reason="actions/service/policies/documents.py not written yet")
    import actions.verification
    return actions.verification


def payments_module():
    pytest.importorskip("actions.service.policies.documents",
                        reason="actions/service/policies/documents.py not written yet")
    import actions.payments
    return actions.payments


