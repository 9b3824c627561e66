"""From the bot's messages to what a Telegram customer sees.

A turn's messages are collected first (`TelegramTurnOutput`) and delivered when the turn is over,
so the keyboards are drawn in the language the turn ended in. Messages outside a turn (Rasa's
`trigger_intent`, reminders) go out at once (`TelegramPushOutput`) in the chat's saved language.

- a text without buttons carries the persistent reply keyboard (human button first);
  when the bot asks for the phone number, that keyboard also has a "share my phone" button;
- bot buttons become an inline keyboard whose callback data is the payload; payloads over
  Telegram's 64 bytes and long lists (paged) are kept in a bounded in-memory store;
- a document link (e-invoice, calendar file) is followed by the document itself;
- a message carrying `voice_ogg` (after a voice note, or in elder mode) is followed by that voice note.
"""
from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text
from urllib.parse import urlparse

from rasa.core.channels.channel import OutputChannel

from bot.channels import telegram_screens as screens
from bot.channels.telegram_api import TelegramApi
from actions.service.messaging.telegram_store import chat_settings

logger = logging.getLogger(__name__)

ASK_PHONE_RESPONSE = "utter_ask_phone"
DOCUMENT_PATH = re.compile(r"/webhooks/documents/([A-Za-z0-9_-]+)$")
STORED_BUTTON_LISTS = 5000  # paged lists and long payloads remembered (oldest forgotten first)


class ButtonStore:
    """Short keys for what does not fit in callback data; bounded, so memory cannot grow forever.

    After a restart old keys are unknown: the customer is asked to say what they need again."""

    def __init__(self, capacity: int = STORED_BUTTON_LISTS) -> None:
        self.capacity = capacity
        self._items: "OrderedDict[str, Any]" = OrderedDict()

    def put(self, value: Any) -> str:
        key = secrets.token_urlsafe(6)
        self._items[key] = value
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> Any:
        return self._items.get(key)


class TelegramDelivery:
    """Sends one chat's bot messages with the right keyboards, documents and voice."""

    def __init__(self, api: TelegramApi) -> None:
        self.api = api
        self.buttons = ButtonStore()
        # chat -> language of the reply keyboard it was last sent (bounded like the button store).
        self.keyboards: "OrderedDict[str, str]" = OrderedDict()

    async def deliver(self, chat_id: Any, messages: List[Dict[Text, Any]], language: str,
                      elder_mode: bool = False) -> None:
        """Each message as the customer sees it; a message's `voice_ogg` (spoken answer) follows it."""
        for message in messages:
            await self._deliver_one(chat_id, message, language, elder_mode)
            if message.get("voice_ogg"):
                await self.api.send_voice(chat_id, message["voice_ogg"])
        if messages and self.keyboards.get(str(chat_id)) != language:
            # Only inline buttons so far (a first greeting) or a new language: the human button
            # must still be on screen, so the menu comes with the persistent keyboard.
            await self.send_menu(chat_id, language)

    async def send_menu(self, chat_id: Any, language: str, text_key: str = "menu") -> None:
        await self.send_with_keyboard(chat_id, screens.say(text_key, language), language)

    async def send_with_keyboard(self, chat_id: Any, text: str, language: str, ask_phone: bool = False) -> None:
        """A text with the persistent reply keyboard (human button first)."""
        await self.api.send_message(chat_id, text, reply_markup=screens.main_keyboard(language, ask_phone))
        self.keyboards[str(chat_id)] = language
        while len(self.keyboards) > STORED_BUTTON_LISTS:
            self.keyboards.popitem(last=False)

    def forget_keyboard(self, chat_id: Any) -> None:
        self.keyboards.pop(str(chat_id), None)

    async def _deliver_one(self, chat_id: Any, message: Dict[Text, Any], language: str, elder_mode: bool) -> None:
        text = str(message.get("text") or "")
        buttons = message.get("buttons") or message.get("quick_replies") or []
        if buttons:
            keyboard = self.inline_keyboard(buttons, language, elder_mode)
            *head, last = screens.split_text(text) or ["👇"]
            for part in head:
                await self.api.send_message(chat_id, part)
            await self.api.send_message(chat_id, last, reply_markup=keyboard)
        elif text:
            *head, last = screens.split_text(text)
            for part in head:
                await self.api.send_message(chat_id, part)
            await self.send_with_keyboard(chat_id, last, language,
                                          ask_phone=message.get("utter_action") == ASK_PHONE_RESPONSE)
        if message.get("image"):
            await self.api.send_photo(chat_id, str(message["image"]))
        if message.get("attachment"):
            await self.send_attachment(chat_id, message["attachment"])

    # -- buttons -------------------------------------------------------------------------------
    def inline_keyboard(self, buttons: List[Dict[Text, Any]], language: str, elder_mode: bool, page: int = 0,
                        list_key: Optional[str] = None) -> dict:
        """One page of the bot's buttons; a page row (◀ ▶) when they do not fit on one page."""
        size = screens.ELDER_PAGE_SIZE if elder_mode else screens.PAGE_SIZE
        per_row = 1 if elder_mode else screens.BUTTONS_PER_ROW
        pages = max(1, -(-len(buttons) // size))
        page = min(max(page, 0), pages - 1)
        shown = buttons[page * size:(page + 1) * size]
        keys = [{"text": str(b.get("title") or b.get("payload")), "callback_data": self.callback_data(str(b.get("payload") or ""))}
                for b in shown]
        rows = [keys[i:i + per_row] for i in range(0, len(keys), per_row)]
        if pages > 1:
            list_key = list_key or self.buttons.put((buttons, language, elder_mode))
            nav = []
            if page > 0:
                nav.append({"text": screens.say("previous_page", language),
                            "callback_data": f"{screens.CALLBACK_PREFIX}pg:{list_key}:{page - 1}"})
            if page < pages - 1:
                nav.append({"text": screens.say("next_page", language),
                            "callback_data": f"{screens.CALLBACK_PREFIX}pg:{list_key}:{page + 1}"})
            rows.append(nav)
        return {"inline_keyboard": rows}

    def callback_data(self, payload: str) -> str:
        """The payload itself when it fits Telegram's 64 bytes, else a short key to it."""
        if len(payload.encode("utf-8")) <= screens.MAX_CALLBACK_DATA_BYTES and not payload.startswith(
                screens.CALLBACK_PREFIX):
            return payload
        return f"{screens.CALLBACK_PREFIX}p:{self.buttons.put(payload)}"

    def page_of(self, list_key: str, page: int) -> Optional[dict]:
        stored = self.buttons.get(list_key)
        if stored is None:
            return None
        buttons, language, elder_mode = stored
        return self.inline_keyboard(buttons, language, elder_mode, page=page, list_key=list_key)

    # -- documents and voice -----------------------------------------------------------------------
    async def send_attachment(self, chat_id: Any, attachment: Any) -> None:
        """Our own document links are sent as the file itself; other attachments as their link."""
        url = attachment.get("url") if isinstance(attachment, dict) else str(attachment)
        match = DOCUMENT_PATH.search(urlparse(url or "").path)
        if not match:
            if url:
                await self.api.send_message(chat_id, url)
            return
        from actions.service.policies.documents import render_document

        document = await asyncio.to_thread(render_document, match.group(1))
        if document is None:  # expired or unknown: the link in the text says the same
            logger.info("document link for chat %s no longer valid", chat_id)
            return
        await self.api.send_document(chat_id, document.filename, document.body)


class TelegramTurnOutput(OutputChannel):
    """Collects one turn's messages; the input channel delivers them when the turn is over."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self) -> None:
        self.messages: List[Dict[Text, Any]] = []

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.messages.append(dict(message))

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self.messages.append({"text": text})


class TelegramPushOutput(OutputChannel):
    """Messages outside a customer's turn (trigger_intent, reminders): sent at once, never raising."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, delivery: TelegramDelivery) -> None:
        self.delivery = delivery

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        settings = await asyncio.to_thread(chat_settings, recipient_id)
        await self.delivery.deliver(recipient_id, [dict(message)], screens.normal_language(settings.language),
                                    settings.elder_mode)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})
