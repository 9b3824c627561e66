"""What the Telegram channel remembers in the business database: update ids seen, chat settings."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy.exc import IntegrityError

from actions.service.core.db import session_scope
from actions.service.core.models import TelegramChat, TelegramUpdate

# Telegram stops retrying an update long before this; rows older than it only take space.
KEEP_UPDATE_IDS = timedelta(days=2)
PRUNE_EVERY = 500  # prune on every N-th update id, not on every request


@dataclass(frozen=True)
class ChatSettings:
    language: str = ""  # "" = not known yet (the bot's default language is used)
    elder_mode: bool = False


def first_time_seen(update_id: int, now: Optional[datetime] = None) -> bool:
    """Record the update id; False if it was already recorded (a Telegram retry or a replay)."""
    now = now or datetime.utcnow()
    try:
        with session_scope() as session:
            session.add(TelegramUpdate(update_id=int(update_id), received_at=now))
    except IntegrityError:
        return False
    if int(update_id) % PRUNE_EVERY == 0:
        with session_scope() as session:
            session.query(TelegramUpdate).filter(TelegramUpdate.received_at < now - KEEP_UPDATE_IDS).delete()
    return True


def chat_settings(chat_id: int | str) -> ChatSettings:
    with session_scope() as session:
        chat = session.get(TelegramChat, str(chat_id))
        return ChatSettings(chat.language or "", bool(chat.elder_mode)) if chat else ChatSettings()


def save_chat_settings(chat_id: int | str, language: Optional[str] = None, elder_mode: Optional[bool] = None) -> None:
    """Change what is given, keep the rest."""
    with session_scope() as session:
        chat = session.get(TelegramChat, str(chat_id))
        if chat is None:
            chat = TelegramChat(chat_id=str(chat_id), language="", elder_mode=False)
            session.add(chat)
        if language is not None:
            chat.language = language
        if elder_mode is not None:
            chat.elder_mode = elder_mode
