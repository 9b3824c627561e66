"""The voice gateway's way into the bot (issue 17): an input channel at /webhooks/gateway/.

The gateway (python -m voice.gateway) hears and speaks; the dialogue stays here. Every call must
carry ANXIN_GATEWAY_SECRET in X-Anxin-Gateway-Secret (401 without it, 403 when wrong):

    POST /turn        {sender, text, channel: "phone"|"voice", metadata}
                      -> {messages, lane, language, dialect, handed_off}
    POST /slots       {sender, slots: {name: value}}            (caller-ID prefill, the language keys)
    POST /preference  {sender} -> {language, dialect}           (the language slot, the stored dialect)
    POST /lane        {sender} -> {messages}                    (a live call's share of the lane's outbox)

A turn runs as it did when the channel lived in this process: wrapped by `relaying` (a paused
conversation's words go to the agent), with input_channel = the real channel, so trackers, the
human lane and rate limits behave as before. Voice messages also meet the chat channels' guard.

A live call cannot be reached from here (it lives on whichever gateway took it), so the human
lane's words for a call wait in the database outbox, marked for the call (CallOutboxLine); the call
looks every second, and a turn's answer carries whatever was waiting (`lane`).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import SlotSet
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.core.settings import get_settings
from actions.service.core.shared_secret import secret_matches
from bot.channels.human_lane import OUTBOX, LaneMessage, relaying
from bot.channels.rate_limited import guard
from voice.gateway.protocol import (CONNECTOR_PREFIX, LANE, LANE_KEY, PHONE, PREFERENCE, SAY, SECRET_HEADER, SLOTS,
                                    TAKE_BACK, TURN, VOICE_MESSAGE)

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
MAX_SENDER_CHARS = 128


class _AlreadyCounted:
    """The guard's limiter for voice messages: the gateway counted the sender before recognition."""

    def allow(self, sender: str) -> bool:
        return True


class CallOutboxLine:
    """The human lane's way into a live call on a gateway: the outbox, marked for the call to speak."""

    async def send(self, sender_id: str, message: LaneMessage) -> bool:
        metadata = {LANE_KEY: SAY, "author": message.author, "agent": message.agent, "language": message.language}
        if message.kind:
            metadata["kind"] = message.kind  # a newer place in the queue replaces an older one not yet spoken
        await asyncio.to_thread(OUTBOX.put, sender_id, {"text": message.text, "metadata": metadata})
        return True

    def output_channel(self, sender_id: str) -> OutputChannel:
        return _CallTakenBack(sender_id)


class _CallTakenBack(CollectingOutputChannel):
    """What the bot says when the agent gives the call back: one outbox entry, spoken in one go."""

    def __init__(self, sender_id: str) -> None:
        super().__init__()
        self.sender_id = sender_id

    async def flush(self) -> None:
        messages = [{k: v for k, v in m.items() if k != "recipient_id"} for m in self.messages]
        await asyncio.to_thread(OUTBOX.put, self.sender_id, {"messages": messages, "metadata": {LANE_KEY: TAKE_BACK}})


def _is_lane(message: Dict[str, Any]) -> bool:
    metadata = message.get("metadata")
    return isinstance(metadata, dict) and bool(metadata.get(LANE_KEY))


def _stored_dialect(customer_id: Any) -> str:
    from actions.service.customers.profiles import profile_by_id

    customer = profile_by_id(int(customer_id))
    return customer.dialect if customer else ""


async def customer_preference(agent: Any, sender_id: str) -> Tuple[Optional[str], str]:
    """(the conversation's language slot, the verified customer's stored dialect)."""
    store = getattr(agent, "tracker_store", None)
    tracker = await store.retrieve(sender_id) if store is not None else None
    if tracker is None:
        return None, ""
    customer_id = tracker.get_slot("customer_id") if tracker.get_slot("verified") else None
    dialect = await asyncio.to_thread(_stored_dialect, customer_id) if customer_id else ""
    return tracker.get_slot("language"), dialect


class GatewayConnector(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(get_settings().gateway_secret)

    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        if not secret:
            logger.warning("ANXIN_GATEWAY_SECRET is not set: the voice gateway's calls will be refused")

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        connector = Blueprint("custom_webhook_GatewayConnector", __name__)
        turns: Dict[str, OnNewMessage] = {
            PHONE: relaying(PHONE, on_new_message, CallOutboxLine()),
            # paused: words go to the agent; the chat channels' guard (empty text, an apology on failure)
            VOICE_MESSAGE: guard(relaying(VOICE_MESSAGE, on_new_message), _AlreadyCounted()),
        }

        @connector.middleware("request")
        async def only_the_gateway(request: Request) -> Optional[HTTPResponse]:
            if not request.path.startswith(CONNECTOR_PREFIX):
                return None
            given = request.headers.get(SECRET_HEADER)
            if not given:
                return response.json({"error": "unauthorized"}, status=401)
            if not secret_matches(given, self.secret):
                logger.warning("refused a gateway call with a wrong secret from %s", request.ip)
                return response.json({"error": "forbidden"}, status=403)
            return None

        def body_of(request: Request) -> Tuple[Optional[Dict[str, Any]], str]:
            try:
                body = request.json
            except Exception:  # malformed JSON: Sanic's own error page otherwise
                body = None
            if not isinstance(body, dict):
                return None, ""
            sender = body.get("sender")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
                return None, ""
            return body, sender

        @connector.route(TURN, methods=["POST"])
        async def turn(request: Request) -> HTTPResponse:
            body, sender = body_of(request)
            handle = turns.get(body.get("channel")) if body else None
            if handle is None or not isinstance(body.get("text"), str):
                return response.json({"error": "bad_request"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            collector = CollectingOutputChannel()
            await handle(UserMessage(body["text"], collector, sender, input_channel=body["channel"],
                                     metadata=metadata))
            agent = request.app.ctx.agent
            language, dialect = await customer_preference(agent, sender)
            tracker = await agent.tracker_store.retrieve(sender)
            messages: List[Dict[str, Any]] = collector.messages
            return response.json({"messages": [m for m in messages if not _is_lane(m)],
                                  "lane": [m for m in messages if _is_lane(m)],
                                  "language": language, "dialect": dialect,
                                  "handed_off": bool(tracker and tracker.is_paused())})

        @connector.route(SLOTS, methods=["POST"])
        async def slots(request: Request) -> HTTPResponse:
            body, sender = body_of(request)
            if body is None or not isinstance(body.get("slots"), dict):
                return response.json({"error": "bad_request"}, status=400)
            agent = request.app.ctx.agent
            async with agent.lock_store.lock(sender):
                tracker = await agent.processor.fetch_tracker_and_update_session(sender, CollectingOutputChannel())
                for name, value in body["slots"].items():
                    tracker.update(SlotSet(name, value))
                await agent.processor.save_tracker(tracker)
            return response.json({"ok": True})

        @connector.route(PREFERENCE, methods=["POST"])
        async def preference(request: Request) -> HTTPResponse:
            body, sender = body_of(request)
            if body is None:
                return response.json({"error": "bad_request"}, status=400)
            language, dialect = await customer_preference(request.app.ctx.agent, sender)
            return response.json({"language": language, "dialect": dialect})

        @connector.route(LANE, methods=["POST"])
        async def lane(request: Request) -> HTTPResponse:
            body, sender = body_of(request)
            if body is None:
                return response.json({"error": "bad_request"}, status=400)
            return response.json({"messages": await asyncio.to_thread(OUTBOX.take, sender)})

        return connector
