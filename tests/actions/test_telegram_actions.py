"""The two Telegram touches in the actions: the chat is linked after verification, documents attached."""
from __future__ import annotations

from typing import Any, Dict

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.payments import ActionRequestInvoice
from actions.reminders import ActionSetReminder
from actions.service.customers.channel_links import customer_for_address
from actions.service.customers.identity_proof import conversation_scope, sign_identity
from actions.verification import ActionVerifyIdentity

CHAT = "700700700"


def tracker(channel: str, slots: Dict[str, Any]) -> Tracker:
    return Tracker.from_dict({
        "sender_id": CHAT,
        "slots": {"language": "en", "verified": False, "customer_id": None, "pending_request": None, **slots},
        "latest_message": {"intent": {}, "entities": [], "text": ""},
        "events": [{"event": "user", "text": "7788", "input_channel": channel,
                    "parse_data": {"intent": {"name": "inform", "confidence": 0.9}}}],
        "active_loop": {}, "latest_action_name": "action_listen",
    })


@pytest.mark.parametrize("channel, linked", [("telegram", True), ("rest", False)])
def test_verification_links_only_a_telegram_chat(demo_db, customers, channel, linked):
    ActionVerifyIdentity().run(CollectingDispatcher(), tracker(channel, {"phone": "13700000003", "id_last4": "7788"}),
                               {})
    assert customer_for_address("telegram", CHAT) == (customers.emily if linked else None)


@pytest.mark.parametrize("action", [ActionRequestInvoice, ActionSetReminder])
def test_documents_are_attached_on_telegram_only(demo_db, customers, action):
    def verified(channel):
        return {"verified": True, "customer_id": float(customers.emily),
                "identity_proof": sign_identity(customers.emily, conversation_scope(CHAT, channel))}

    on_telegram, on_web = CollectingDispatcher(), CollectingDispatcher()
    action().run(on_telegram, tracker("telegram", verified("telegram")), {})
    action().run(on_web, tracker("rest", verified("rest")), {})
    # The reminder action also says its plan; the document is the message with a link.
    [telegram_message] = [m for m in on_telegram.messages if m.get("url")]
    [web_message] = [m for m in on_web.messages if m.get("url")]
    url = telegram_message["url"]
    assert telegram_message["attachment"] == {"type": "document", "url": url}
    assert "/webhooks/documents/" in url
    assert not web_message.get("attachment")  # the web and REST answer is unchanged: the link only
