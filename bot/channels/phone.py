"""Phone calls: a WebSocket on the Rasa server speaking Twilio Media Streams.

    GET  /webhooks/phone/           health
    WS   /webhooks/phone/stream     a bidirectional media stream (TwiML `<Connect><Stream>`)

The TwiML passes the caller's number and the stream token as custom parameters (Twilio's stream
URL may carry no query string):

    <Connect><Stream url="wss://HOST/webhooks/phone/stream">
      <Parameter name="caller" value="{{From}}"/>
      <Parameter name="token" value="$ANXIN_PHONE_STREAM_TOKEN"/>
    </Stream></Connect>

Each recognized utterance goes through Rasa exactly like a REST message (a collecting output
channel, sender id = the call SID, metadata = caller number and SIDs); the call session
(voice/phone/call.py) does everything audio. A malformed message, an unknown event or a client
that vanishes mid-stream is logged and costs only that connection.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from websockets.exceptions import ConnectionClosed

from voice.phone.call import BotReply, CallHooks, CallSession
from voice.phone.twilio import TwilioSerializer

logger = logging.getLogger(__name__)

TOKEN_ENV = "ANXIN_PHONE_STREAM_TOKEN"
HANDOFF_ACTION = "action_handoff"


class PhoneInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "phone"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(os.environ.get(TOKEN_ENV))

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = token
        if not token:
            logger.warning("%s is not set: every phone stream will be refused", TOKEN_ENV)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        phone = Blueprint("custom_webhook_PhoneInput", __name__)

        @phone.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @phone.websocket("/stream")
        async def stream(request: Request, ws: Any) -> None:
            agent = request.app.ctx.agent
            session = CallSession(TwilioSerializer(), ws.send, CallHooks(
                bot_turn=lambda sender, text, metadata: self._bot_turn(agent, on_new_message, sender, text, metadata),
                set_slots=lambda sender, slots: self._set_slots(agent, sender, slots),
            ), token=self.token)
            try:
                while True:
                    raw = await ws.recv()
                    if raw is None:
                        continue
                    if not await session.handle(raw):
                        break
            except ConnectionClosed:
                logger.info("phone call %s: the carrier closed the connection", session.sender_id or "-")
            except Exception:  # never let one call's bug take the worker down with a traceback to the caller
                logger.exception("phone call %s failed", session.sender_id or "-")
            finally:
                await session.close()

        return phone

    async def _bot_turn(self, agent: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]], sender: str,
                        text: str, metadata: dict) -> BotReply:
        collector = CollectingOutputChannel()
        await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
        tracker = await agent.tracker_store.retrieve(sender)
        language = (tracker.get_slot("language") if tracker else None) or "zh-Hans"
        return BotReply(collector.messages, language, handed_off=_handed_off_this_turn(tracker))

    @staticmethod
    async def _set_slots(agent: Any, sender: str, slots: Dict[str, Any]) -> None:
        """Write slots into the call's conversation (caller-ID prefill, the language key menu)."""
        async with agent.lock_store.lock(sender):
            tracker = await agent.processor.fetch_tracker_and_update_session(sender, CollectingOutputChannel())
            for name, value in slots.items():
                tracker.update(SlotSet(name, value))
            await agent.processor.save_tracker(tracker)


def _handed_off_this_turn(tracker: Any) -> bool:
    if tracker is None:
        return False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == HANDOFF_ACTION:
            return True
    return False
