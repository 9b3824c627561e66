"""The human lane inside the Rasa server: what a paused conversation does with the customer's words.

Rasa 3.6 ignores every message of a paused conversation except /restart
(`MessageProcessor._should_handle_message`). So while a handoff ticket is open, every channel's
`on_new_message` is wrapped by `relaying`: the customer's text goes into the ticket (the agent
console shows it at once) and not to Rasa, so the bot says nothing itself.

The other way, an agent's reply (or "agent joined/left") goes out on the customer's own channel
through a `CustomerLine`, one per channel kind:
- socket.io (the web chat page): an emit into the conversation's room, labelled with its author;
- channels with a push output (Telegram): the channel's output, the agent's name before the text;
- request/response channels (REST, voice messages): an outbox handed over with the next answer
  (in the database, so the next answer may come from any Rasa server);
- a live phone call, which lives on a voice gateway: the outbox too, marked for the call, which looks
  every second and speaks it (bot/channels/gateway_connector.py's CallOutboxLine).

`resume_bot` ends the handoff: ConversationResumed, then an external intent that lets the bot say
the agent has left and, after a resolved ticket, ask for the 1-5 rating once.

Several Rasa servers (issue 14): nothing here lives in one server's memory but the socket.io rooms
that server holds. Tickets, messages and the outbox are in the database;
the queue notifier runs in every server but works only while it holds the database lease, and each
place update is claimed in the database before it is sent.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Dict, List, Optional, Protocol, Text, Tuple

from sanic import Blueprint

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, ConversationResumed

from actions.service.core.settings import get_settings
from actions.service.formatting import mask_digits_in_text
from actions.service.language import in_language
from bot.channels.phrases import AGENT_LABEL, JOINED, NEXT, PLACE
from actions.service.core.leases import hold_lease, holder_name, release_lease
from actions.service.human_lane import outbox
from actions.service.human_lane.callback_times import is_callback_choice
from actions.service.human_lane.handoff import active_ticket_for_sender, claim_place_updates, handoff_backend

from bot.channels.waiting_replies import regular_update, reply_while_waiting

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

HUMAN, SYSTEM, BOT = "human", "system", "bot"
QUEUE_PLACE = "queue_place"
WAITING = "waiting"
ACTION_LISTEN = "action_listen"
RESOLVED_INTENT = "EXTERNAL_human_resolved"
HANDED_BACK_INTENT = "EXTERNAL_human_handed_back"

@dataclass(frozen=True)
class LaneMessage:
    text: str
    author: str = HUMAN  # human | system
    agent: str = ""
    language: str = "zh-Hans"
    buttons: Tuple[Tuple[str, str], ...] = ()  # (title, payload): the call-back times offered while waiting
    kind: str = ""  # QUEUE_PLACE for the queue's regular update (a newer one replaces it in the outbox)

    def button_list(self) -> List[Dict[str, str]]:
        return [{"title": title, "payload": payload} for title, payload in self.buttons]

    def labelled_text(self) -> str:
        """For channels that cannot show an author: the agent's name goes before the text."""
        if self.author == HUMAN:
            label = in_language(AGENT_LABEL, self.language)
            return f"👩‍💼 {label} {self.agent}：{self.text}" if self.language != "en" \
                else f"👩‍💼 {label} {self.agent}: {self.text}"
        return f"ℹ️ {self.text}"


class CustomerLine(Protocol):
    """How messages reach a customer on one kind of channel."""

    async def send(self, sender_id: str, message: LaneMessage) -> bool: ...

    def output_channel(self, sender_id: str) -> OutputChannel: ...


class SocketIOLine:
    """The web chat page: emits into the conversation's room with an `author` the page shows."""

    def __init__(self, input_channel: Any) -> None:
        self.input_channel = input_channel  # its `sio` exists once its blueprint was built

    async def send(self, sender_id: str, message: LaneMessage) -> bool:
        sio = self.input_channel.sio
        payload = {"text": message.text,
                   "metadata": {"author": message.author, "agent": message.agent, "language": message.language}}
        if message.buttons:
            payload["quick_replies"] = [{"content_type": "text", **b} for b in message.button_list()]
        await sio.emit(self.input_channel.bot_message_evt, payload, room=sender_id)
        return True

    def output_channel(self, sender_id: str) -> OutputChannel:
        return self.input_channel.get_output_channel()


class PushLine:
    """A channel whose input channel can push (Telegram): the agent's name goes before the text."""

    def __init__(self, input_channel: Any) -> None:
        self.input_channel = input_channel

    async def send(self, sender_id: str, message: LaneMessage) -> bool:
        output = self.input_channel.get_output_channel()
        if output is None:
            return False
        await output.send_text_message(sender_id, message.labelled_text())
        return True

    def output_channel(self, sender_id: str) -> OutputChannel:
        return self.input_channel.get_output_channel() or OutboxOutput(OUTBOX, sender_id)


class Outbox:
    """Request/response channels cannot push: messages wait and go out with the next answer.

    Kept by the service layer in the database (actions.service.human_lane.outbox), so the answer
    that carries them may come from any Rasa server behind the balancer.
    """

    def put(self, sender_id: str, message: Dict[str, Any]) -> None:
        outbox.put(sender_id, message)

    def take(self, sender_id: str) -> List[Dict[str, Any]]:
        return outbox.take(sender_id)


OUTBOX = Outbox()


class OutboxOutput(CollectingOutputChannel):
    """What the bot says outside a customer's own turn (after a handoff) waits in the outbox."""

    def __init__(self, outbox: Outbox, sender_id: str) -> None:
        super().__init__()
        self.outbox, self.sender_id = outbox, sender_id

    async def _persist_message(self, message: Dict[Text, Any]) -> None:
        kept = {k: v for k, v in message.items() if k != "recipient_id"}
        await asyncio.to_thread(self.outbox.put, self.sender_id, kept)


class OutboxLine:
    def __init__(self, outbox: Outbox = OUTBOX) -> None:
        self.outbox = outbox

    async def send(self, sender_id: str, message: LaneMessage) -> bool:
        metadata = {"author": message.author, "agent": message.agent}
        if message.kind:
            metadata["kind"] = message.kind
        await asyncio.to_thread(self.outbox.put, sender_id, {
            "text": message.labelled_text(), "buttons": message.button_list(), "metadata": metadata})
        return True

    def output_channel(self, sender_id: str) -> OutputChannel:
        return OutboxOutput(self.outbox, sender_id)


_LINES: Dict[str, CustomerLine] = {}


def register_line(channel: str, line: CustomerLine) -> None:
    _LINES[channel] = line


def line_for(sender_id: str, channel: str) -> CustomerLine:
    return _LINES.get(channel) or _OUTBOX_LINE


_OUTBOX_LINE = OutboxLine()


async def _hand_over(output: OutputChannel, sender_id: str, message: Dict[str, Any]) -> None:
    if isinstance(output, CollectingOutputChannel):  # keeps the author metadata in the REST answer
        output.messages.append({"recipient_id": sender_id, **message})
    else:
        await output.send_response(sender_id, dict(message))


def relaying(channel: str, on_new_message: OnNewMessage, line: Optional[CustomerLine] = None) -> OnNewMessage:
    """Wrap a channel's `on_new_message`: while a human has the conversation, words go to the ticket."""
    register_line(channel, line or _OUTBOX_LINE)

    async def relay_or_handle(message: UserMessage) -> None:
        sender_id, text = str(message.sender_id), message.text if isinstance(message.text, str) else ""
        ticket = await asyncio.to_thread(active_ticket_for_sender, sender_id)
        for waiting in await asyncio.to_thread(OUTBOX.take, sender_id):  # what the agent said since
            if outbox.kind_of(waiting) == QUEUE_PLACE and not (ticket is not None and ticket.status == WAITING
                                                               and not text.strip()):
                continue  # an older place: out of date, or the answer to this message says where they are now
            await _hand_over(message.output_channel, sender_id, waiting)  # this customer last wrote
        if ticket is not None and text.strip() == "/restart":  # starting over leaves the queue
            await asyncio.to_thread(handoff_backend().withdraw, ticket.id)
            ticket = None
        if ticket is not None and ticket.status == WAITING and is_callback_choice(text) and await unpause(sender_id):
            # tired of waiting: leaves the queue, and the bot books the call-back as when nobody is free
            await asyncio.to_thread(handoff_backend().withdraw, ticket.id, "customer chose a call-back instead of waiting")
            ticket = None
        if ticket is None:
            await on_new_message(message)
            return
        if text.strip():
            await asyncio.to_thread(handoff_backend().customer_message, ticket.id, text)
            logger.info("relayed a message of sender %s to ticket %s", mask_digits_in_text(sender_id), ticket.id)
            await reply_while_waiting(message, ticket, text, _tell_now, place_in_queue_text)

    return relay_or_handle


async def _tell_now(message: UserMessage, text: str, buttons: Tuple[Tuple[str, str], ...], language: str) -> None:
    """A notice answering this very message: in the REST answer, or on the customer's live line."""
    notice = LaneMessage(text, SYSTEM, "", language, tuple(buttons))
    if isinstance(message.output_channel, CollectingOutputChannel):
        await _hand_over(message.output_channel, str(message.sender_id),
                         {"text": notice.labelled_text(), "buttons": notice.button_list(),
                          "metadata": {"author": SYSTEM, "agent": "", "language": language}})
    else:
        await line_for(str(message.sender_id), message.input_channel or "").send(str(message.sender_id), notice)


# The Rasa server's app (set when it starts): its agent resumes a paused conversation.
_SERVER: Dict[str, Any] = {}


async def unpause(sender_id: str) -> bool:
    """Resume a paused conversation so the bot answers again; False when this process has no agent."""
    app = _SERVER.get("app")
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    if agent is None:
        return False
    await _resume_tracker(agent, sender_id)
    return True


async def _resume_tracker(agent: Any, sender_id: str) -> None:
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
        if tracker.is_paused():
            # The pause came straight after action_handoff, with no action_listen: without one the
            # rules would not see the next message as a new user turn.
            tracker.update(ConversationResumed())
            tracker.update(ActionExecuted(ACTION_LISTEN))
            await agent.tracker_store.save(tracker)


async def send_to_customer(sender_id: str, channel: str, message: LaneMessage) -> bool:
    """An agent's message (or a notice) on the customer's own channel; False when it could not go."""
    try:
        return await line_for(sender_id, channel).send(sender_id, message)
    except Exception:  # a customer who went away must not break the agent's console
        logger.exception("could not deliver to sender %s", mask_digits_in_text(sender_id))
        return False


async def notify_joined(sender_id: str, channel: str, language: str, agent_name: str) -> bool:
    text = in_language(JOINED, language).format(agent=agent_name)
    return await send_to_customer(sender_id, channel, LaneMessage(text, SYSTEM, agent_name, language))


async def trigger_in_conversation(agent: Any, sender_id: str, channel: str, intent: str) -> bool:
    """Let the bot speak in a conversation outside the customer's turn (an external intent), on the
    customer's own channel; False (nothing said) while a person has the conversation."""
    if await asyncio.to_thread(active_ticket_for_sender, sender_id) is not None:
        return False
    output = line_for(sender_id, channel).output_channel(sender_id)
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
        await agent.processor.trigger_external_user_uttered(intent, {}, tracker, output)
    flush = getattr(output, "flush", None)
    if flush is not None:
        await flush()
    return True


async def resume_bot(agent: Any, sender_id: str, channel: str, rate: bool = True) -> None:
    """Give the conversation back to the bot: it says the agent left and, after a resolution, asks a rating."""
    await _resume_tracker(agent, sender_id)
    output = line_for(sender_id, channel).output_channel(sender_id)
    intent = RESOLVED_INTENT if rate else HANDED_BACK_INTENT
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
        await agent.processor.trigger_external_user_uttered(intent, {}, tracker, output)
    flush = getattr(output, "flush", None)  # a line that speaks (a call) says it all at once, in order
    if flush is not None:
        await flush()


NOTIFIER_LEASE = "queue_place_notifier"
LEASE_CHECKS = 3  # the lease outlasts this many checks: a dead holder's server is replaced within an interval


def place_update_seconds() -> float:
    """How often a waiting customer hears their place and wait, changed or not (ANXIN_QUEUE_UPDATE_SECONDS)."""
    return get_settings().queue_update_seconds


def place_check_seconds() -> float:
    """How often every server's notifier looks (only the lease holder works): a few times per interval."""
    return get_settings().queue_check_seconds


def place_in_queue_text(language: str, position: int, wait_seconds: float) -> str:
    minutes = max(1, round(wait_seconds / 60))
    if position <= 1:
        return in_language(NEXT, language).format(minutes=minutes)
    return in_language(PLACE, language).format(ahead=position - 1, minutes=minutes)


class QueueNotifier:
    """Tells each waiting customer their place and the new wait estimate at least every
    `queue_update_seconds` (a minute), whether or not the place changed: silence feels like being forgotten.

    Every Rasa server runs one; only the holder of the database lease works, and each update is
    claimed in the database before it goes out, so a customer never hears the same update twice.
    """

    def __init__(self, clock: Callable[[], datetime] = datetime.utcnow, holder: str = "") -> None:
        self.clock = clock
        self.holder = holder or holder_name()

    async def tell_changes(self) -> int:
        lease_seconds = LEASE_CHECKS * place_check_seconds()
        if not await asyncio.to_thread(hold_lease, NOTIFIER_LEASE, self.holder, lease_seconds, self.clock()):
            return 0
        every = place_update_seconds()
        due = await asyncio.to_thread(claim_place_updates, timedelta(seconds=every), self.clock())
        for ticket, position, wait in due:
            text, buttons = regular_update(ticket, place_in_queue_text(ticket.language, position, wait), every)
            # an apology with the call-back offer is kept; a plain place update gives way to a newer one
            await send_to_customer(ticket.sender_id, ticket.channel, LaneMessage(
                text, SYSTEM, "", ticket.language, buttons=buttons, kind="" if buttons else QUEUE_PLACE))
        return len(due)

    async def run_forever(self) -> None:
        try:
            while True:
                await asyncio.sleep(place_check_seconds())
                try:
                    await self.tell_changes()
                except Exception:  # a database hiccup must not end the updates for everyone
                    logger.exception("queue updates failed; trying again")
        finally:  # a clean stop hands the job to another server at once (else it expires)
            try:
                await asyncio.to_thread(release_lease, NOTIFIER_LEASE, self.holder)
            except Exception:
                logger.warning("could not release the queue notifier's lease; it will expire")


class HumanLaneChannel(InputChannel):
    """Mounted by credentials.yml so the queue updates run inside the Rasa server, started with it."""

    @classmethod
    def name(cls) -> Text:
        return "human_lane"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        lane = Blueprint("custom_webhook_HumanLane", __name__)
        tasks: List[asyncio.Task] = []

        @lane.listener("after_server_start")
        async def start(app: Any, _loop: Any) -> None:
            _SERVER["app"] = app
            tasks.append(asyncio.create_task(QueueNotifier().run_forever()))

        @lane.listener("before_server_stop")
        async def stop(_app: Any, _loop: Any) -> None:
            for task in tasks:
                task.cancel()

        return lane
