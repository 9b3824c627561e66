"""Telegram input channel on aiogram 2 (replaces rasa/core/channels/telegram.py).

Fixes the defects of Rasa 3.6's connector instead of inheriting them:
- the webhook checks Telegram's `X-Telegram-Bot-Api-Secret-Token` header (Rasa compared the bot's
  username, calling getMe on every POST), and drops repeated update ids, remembered in the database
  so that Telegram's retries are dropped after a restart too;
- contacts, voice notes and documents are handled (Rasa dropped them); reply-keyboard buttons send
  their payload, not their title;
- `get_output_channel()` does not run `asyncio.run` inside the running loop (RasaHQ/rasa #10666),
  so proactive messages (trigger_intent, reminders) work;
- long polling (TELEGRAM_MODE=polling) for development without a public address.

Shaped like an aiogram app: the cross-cutting steps (secret check, dedup, private chats only,
the chat's language, rate limit, one turn at a time per chat) happen once in `_receive`/`_turn`;
small handlers take each kind of update (command, text, contact, voice, file, button press).

Config (env, or the same keys in credentials.yml): TELEGRAM_BOT_TOKEN (empty = channel off),
TELEGRAM_WEBHOOK_SECRET, TELEGRAM_MODE (webhook | polling), TELEGRAM_WEBHOOK_URL (public https
URL of /webhooks/telegram/webhook, registered with setWebhook at start), TELEGRAM_API_URL.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import weakref
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text, Tuple

from aiogram import types
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.constants import HUMAN_PAYLOAD, LANGUAGES
from actions.service.core.settings import get_settings
from actions.service.customers.identity import normalize_phone
from actions.service.language import language_from_locale
from actions.service.numbers import digit_string
from bot.channels import telegram_screens as screens
from bot.channels.human_lane import PushLine, relaying
from bot.channels.rate_limited import TokenBucketLimiter, guard
from bot.channels.telegram_api import DEFAULT_API_URL, TelegramApi
from bot.channels.telegram_output import TelegramDelivery, TelegramPushOutput, TelegramTurnOutput
from actions.service.messaging.telegram_store import ChatSettings, chat_settings, first_time_seen, save_chat_settings
from bot.channels import telegram_voice

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_TIMEOUT_SECONDS = 25
POLL_ERROR_PAUSE_SECONDS = 5
MAX_UPDATE_BYTES = 1_000_000  # Telegram's updates are small; anything bigger is not from Telegram


def _setting(credentials: Dict[Text, Any], key: str, otherwise: str) -> str:
    """credentials.yml's value, else the environment's (TELEGRAM_*, through the settings)."""
    value = credentials.get(key)
    return str(value).strip() if value else otherwise


class TelegramInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials, settings = credentials or {}, get_settings()
        return cls(
            token=_setting(credentials, "access_token", settings.telegram_bot_token),
            secret=_setting(credentials, "secret_token", settings.telegram_webhook_secret),
            api_url=_setting(credentials, "api_url", settings.telegram_api_url),
            mode=_setting(credentials, "mode", settings.telegram_mode).lower(),
            webhook_url=_setting(credentials, "webhook_url", settings.telegram_webhook_url),
        )

    def __init__(self, token: str = "", secret: str = "", api_url: str = DEFAULT_API_URL, mode: str = "webhook",
                 webhook_url: str = "") -> None:
        self.secret = secret
        self.mode = mode
        self.webhook_url = webhook_url
        self.api = self._api_or_none(token, api_url or DEFAULT_API_URL)
        self.delivery = TelegramDelivery(self.api) if self.api else None
        self.app = None
        self._tasks: Set[asyncio.Task] = set()
        self._chat_locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()
        self._on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None
        if not token:
            logger.info("Telegram channel is off: TELEGRAM_BOT_TOKEN is not set")

    @staticmethod
    def _api_or_none(token: str, api_url: str) -> Optional[TelegramApi]:
        if not token:
            return None
        try:
            return TelegramApi(token, api_url)
        except ValueError:  # a mistyped token must not stop Rasa (and every other channel)
            logger.error("TELEGRAM_BOT_TOKEN is not a bot token (digits:letters); Telegram channel is off")
            return None

    # -- Rasa's hooks --------------------------------------------------------------------------
    def get_output_channel(self) -> Optional[TelegramPushOutput]:
        """For messages outside a turn. No network call here: this runs inside Rasa's event loop."""
        return TelegramPushOutput(self.delivery) if self.delivery else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram = Blueprint("telegram_webhook", __name__)
        self._on_new_message = guard(relaying(self.name(), on_new_message, PushLine(self)), TokenBucketLimiter())

        @telegram.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if self.api is None:
                return response.json({"status": "off"})
            return response.json({"status": "ok", "mode": self.mode, "send_failures": self.api.failures,
                                  "last_error": self.api.last_error})

        @telegram.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if self.api is None or self.mode != "webhook":
                return response.json({"ok": False, "error": "telegram webhook is off"}, status=404)
            given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")  # bytes: any header is comparable
            if not self.secret or not hmac.compare_digest(given, self.secret.encode()):
                logger.warning("telegram webhook call without the right secret token refused")
                return response.json({"ok": False, "error": "forbidden"}, status=403)
            update = self._parse(request.body)
            if update is None:
                return response.json({"ok": False, "error": "not a Telegram update"}, status=400)
            self._receive(update)
            return response.json({"ok": True})

        @telegram.listener("after_server_start")
        async def start(app, _loop) -> None:
            self.app = app
            if self.api is not None:
                self._spawn(self._start_bot())

        @telegram.listener("before_server_stop")
        async def stop(_app, _loop) -> None:
            for task in list(self._tasks):
                task.cancel()
            if self.api is not None:
                await self.api.close()

        return telegram

    # -- start-up: commands, webhook or polling -------------------------------------------------------
    async def _start_bot(self) -> None:
        await self.api.set_my_commands(screens.bot_commands("zh-Hans"))
        await self.api.set_my_commands(screens.bot_commands("en"), language_code="en")
        if self.mode == "polling":
            await self._poll()
        elif self.webhook_url:
            if not self.secret:
                logger.error("TELEGRAM_WEBHOOK_SECRET is empty: run scripts/ensure_env.py; webhook not set")
            elif await self.api.set_webhook(self.webhook_url, self.secret):
                logger.info("Telegram webhook set")

    async def _poll(self) -> None:
        """Long polling: for development without a public https address."""
        await self.api.delete_webhook()  # Telegram refuses getUpdates while a webhook is set
        offset = 0
        logger.info("Telegram long polling started")
        while True:
            updates = await self.api.get_updates(offset, POLL_TIMEOUT_SECONDS)
            if updates is None:
                await asyncio.sleep(POLL_ERROR_PAUSE_SECONDS)
                continue
            for raw in updates:
                offset = max(offset, int(raw.get("update_id", 0)) + 1)
                update = self._parse(json.dumps(raw).encode())
                if update is not None:
                    self._receive(update)

    # -- cross-cutting: parse, dedup, one turn at a time per chat ------------------------------------------
    @staticmethod
    def _parse(body: bytes) -> Optional[types.Update]:
        if not body or len(body) > MAX_UPDATE_BYTES:
            return None
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                return None
            return types.Update.to_object(data)
        except (ValueError, TypeError, AttributeError, KeyError):
            return None

    def _receive(self, update: types.Update) -> None:
        """Answer in the background: Telegram gets its 200 at once and has no reason to retry."""
        if not first_time_seen(update.update_id):
            logger.info("telegram update %s already handled, dropped", update.update_id)
            return
        self._spawn(self._dispatch(update))

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _dispatch(self, update: types.Update) -> None:
        try:
            if update.callback_query:
                await self.on_callback_query(update.callback_query)
            elif update.message:
                await self.on_message(update.message)
            # edited messages, channel posts...: answering again would confuse more than help
        except Exception:  # one bad update must never stop the others or the server
            logger.exception("telegram update %s failed", update.update_id)

    def _chat_lock(self, chat_id: Any) -> asyncio.Lock:
        lock = self._chat_locks.get(str(chat_id))
        if lock is None:
            lock = asyncio.Lock()
            self._chat_locks[str(chat_id)] = lock
        return lock

    async def _settings(self, chat_id: Any, user: Optional[types.User]) -> ChatSettings:
        settings = await asyncio.to_thread(chat_settings, chat_id)
        if not settings.language:
            language = language_from_locale(user.language_code if user else None)
            await asyncio.to_thread(save_chat_settings, chat_id, language=language)
            settings = await asyncio.to_thread(chat_settings, chat_id)
        return settings

    async def _turn(self, chat_id: Any, text: str, metadata: Optional[Dict[str, Any]] = None) -> None:
        """One customer turn through Rasa; the answer is delivered in the language the turn ended in."""
        async with self._chat_lock(chat_id):
            messages = await self._run_turn(str(chat_id), text, metadata)
            language, elder_mode = await self._language_after_turn(chat_id)
            if elder_mode:  # elder mode: every answer is read aloud too (by the voice gateway)
                messages = await telegram_voice.read_aloud(str(chat_id), messages, language, self._agent())
            await self.delivery.deliver(chat_id, messages, language, elder_mode)

    async def _run_turn(self, sender_id: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[dict]:
        output = TelegramTurnOutput()
        await self._on_new_message(UserMessage(text, output, sender_id, input_channel=self.name(),
                                               metadata={"telegram": metadata or {}}))
        return output.messages

    async def _language_after_turn(self, chat_id: Any) -> Tuple[str, bool]:
        """The conversation's language now (saved for keyboards and pushes) and the chat's elder mode."""
        settings = await asyncio.to_thread(chat_settings, chat_id)
        language = await self._tracker_language(chat_id) or settings.language
        if language and language != settings.language:
            await asyncio.to_thread(save_chat_settings, chat_id, language=language)
        return screens.normal_language(language), settings.elder_mode

    def _agent(self) -> Any:
        return getattr(getattr(self.app, "ctx", None), "agent", None)

    async def _tracker_language(self, chat_id: Any) -> Optional[str]:
        agent = self._agent()
        if agent is None or agent.tracker_store is None:
            return None
        tracker = await agent.tracker_store.retrieve(str(chat_id))
        return tracker.get_slot("language") if tracker else None

    async def _say(self, chat_id: Any, key: str, language: str, ask_phone: bool = False) -> None:
        """One of the channel's own notices, with the persistent keyboard."""
        await self.delivery.send_with_keyboard(chat_id, screens.say(key, language), language, ask_phone)

    # -- handlers, one per kind of update ---------------------------------------------------------
    async def on_message(self, message: types.Message) -> None:
        chat_id = message.chat.id
        if message.chat.type != "private":  # policy talk never happens in front of a group
            await self.api.send_message(chat_id, screens.say("private_only", None))
            return
        settings = await self._settings(chat_id, message.from_user)
        language = screens.normal_language(settings.language)
        if message.text:
            await self.on_text(chat_id, message.text.strip(), language)
        elif message.contact:
            await self.on_contact(chat_id, message, language)
        elif message.voice or message.audio or (message.document and (message.document.mime_type or "").startswith("audio/")):
            await self.on_voice(chat_id, message, language)
        elif message.document or message.photo:
            await self._say(chat_id, "cannot_read_file", language)
        else:
            await self._say(chat_id, "cannot_use", language)

    async def on_text(self, chat_id: Any, text: str, language: str) -> None:
        command = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if text.startswith("/") and len(text) > 1 else ""
        handler = self._commands.get(command)
        if handler is not None:
            await handler(self, chat_id, language)
            return
        # A reply-keyboard button sends its label: the bot gets the payload behind it.
        await self._turn(chat_id, screens.menu_payloads().get(text, text))

    async def on_start(self, chat_id: Any, language: str) -> None:
        await self.api.send_message(chat_id, screens.say("welcome", language),
                                    reply_markup=screens.start_keyboard(language))
        await self._say(chat_id, "menu", language)

    async def on_human(self, chat_id: Any, language: str) -> None:
        await self._turn(chat_id, HUMAN_PAYLOAD)

    async def on_lang(self, chat_id: Any, language: str) -> None:
        await self.api.send_message(chat_id, screens.say("choose_language", language),
                                    reply_markup=screens.language_keyboard())

    async def on_menu(self, chat_id: Any, language: str) -> None:
        await self._say(chat_id, "menu", language)

    async def on_stop(self, chat_id: Any, language: str) -> None:
        """End and forget the conversation (identity included): phones are shared in families."""
        async with self._chat_lock(chat_id):
            await self._on_new_message(UserMessage("/restart", TelegramTurnOutput(), str(chat_id),
                                                   input_channel=self.name()))
        await self.api.send_message(chat_id, screens.say("stopped", language), reply_markup=screens.remove_keyboard())
        self.delivery.forget_keyboard(chat_id)

    _commands = {"start": on_start, "human": on_human, "lang": on_lang, "menu": on_menu, "stop": on_stop}

    async def on_contact(self, chat_id: Any, message: types.Message, language: str) -> None:
        """Only the sender's own contact proves the phone; it answers the identity form's phone question."""
        contact = message.contact
        own = contact.user_id is not None and message.from_user is not None and contact.user_id == message.from_user.id
        if not own:
            await self._say(chat_id, "not_your_contact", language, ask_phone=True)
            return
        phone = normalize_phone(contact.phone_number or "") or digit_string(contact.phone_number or "")
        await self._turn(chat_id, phone, metadata={"contact_verified": True})

    async def on_voice(self, chat_id: Any, message: types.Message, language: str) -> None:
        """A voice note: what was heard is shown, the bot answers in text and as voice notes."""
        note = message.voice or message.audio or message.document
        data = await self.api.download(note.file_id)
        if not data:
            await self._say(chat_id, "voice_failed", language)
            return

        async def handle_text(sender_id: str, text: str, metadata: Optional[Dict[str, Any]]) -> List[dict]:
            # Show what was heard first, so a mishearing is seen at once.
            await self.api.send_message(chat_id, screens.say("you_said", language) + text)
            return await self._run_turn(sender_id, text, metadata)

        async with self._chat_lock(chat_id):
            try:
                reply = await telegram_voice.answer_voice_note(str(chat_id), data, handle_text, self._agent(),
                                                               {"voice_note": True})
            except telegram_voice.AudioRefused as refused:
                await self.delivery.send_with_keyboard(chat_id, refused.message, language)
                return
            except Exception:  # the voice gateway is down or failed: ask for text, keep the chat going
                logger.exception("voice note from chat %s failed", chat_id)
                await self._say(chat_id, "voice_unavailable", language)
                return
            language, elder_mode = await self._language_after_turn(chat_id)
            await self.delivery.deliver(chat_id, reply.messages,
                                        screens.normal_language(reply.reply_language or language), elder_mode)

    async def on_callback_query(self, query: types.CallbackQuery) -> None:
        await self.api.answer_callback_query(query.id)  # stops the button's spinner
        chat_id = query.message.chat.id if query.message else query.from_user.id
        settings = await self._settings(chat_id, query.from_user)
        language = screens.normal_language(settings.language)
        data = query.data or ""
        if not data.startswith(screens.CALLBACK_PREFIX):
            await self._turn(chat_id, data)
            return
        kind, _, rest = data[len(screens.CALLBACK_PREFIX):].partition(":")
        if kind == "lang" and rest in LANGUAGES:
            await asyncio.to_thread(save_chat_settings, chat_id, language=rest)
            await self._turn(chat_id, screens.LANGUAGE_REQUEST[rest])
        elif kind == "elder":
            elder = rest == "1"
            await asyncio.to_thread(save_chat_settings, chat_id, elder_mode=elder)
            await self._say(chat_id, "elder_on" if elder else "elder_off", language)
        elif kind == "p" and self.delivery.buttons.get(rest) is not None:
            await self._turn(chat_id, self.delivery.buttons.get(rest))
        elif kind == "pg":
            list_key, _, page = rest.partition(":")
            keyboard = self.delivery.page_of(list_key, int(page) if page.isdigit() else 0)
            if keyboard is None or query.message is None:
                await self._say(chat_id, "button_expired", language)
            else:
                await self.api.edit_reply_markup(chat_id, query.message.message_id, keyboard)
        else:
            await self._say(chat_id, "button_expired", language)
