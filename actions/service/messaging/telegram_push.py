"""Pushes to a customer's linked Telegram chats (reminders, agent replies, claim updates).

A chat is linked when the customer passes the identity check on Telegram
(actions/verification.py). The text is the caller's, written in the customer's language:
`chat_language` says which one the chat last used. Failures come back per chat and are logged
by telegram_client; nothing raises, so a push never breaks the job that sends it.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from actions.service.customers.channel_links import linked_addresses
from actions.service.core.db import session_scope
from actions.service.core.models import TelegramChat
from actions.service.messaging.telegram_client import SendResult, send_document, send_message

CHANNEL = "telegram"


def push_to_customer(customer_id: int, text: str, reply_markup: Optional[dict] = None) -> List[Tuple[str, SendResult]]:
    """Send the text to every Telegram chat linked to the customer: [(chat id, result)], [] if none."""
    return [(chat_id, send_message(chat_id, text, reply_markup=reply_markup))
            for chat_id in linked_addresses(customer_id, CHANNEL)]


def push_document_to_customer(customer_id: int, filename: str, data: bytes,
                              caption: str = "") -> List[Tuple[str, SendResult]]:
    return [(chat_id, send_document(chat_id, filename, data, caption=caption))
            for chat_id in linked_addresses(customer_id, CHANNEL)]


def chat_language(chat_id: str) -> Optional[str]:
    """The language the chat last talked in (zh-Hans, zh-Hant, yue, en), or None if unknown."""
    with session_scope() as session:
        chat = session.get(TelegramChat, str(chat_id))
        return (chat.language or None) if chat else None
