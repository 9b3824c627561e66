"""What a customer waiting for a person hears when they write: never silence.

Every message while queued gets its place and wait ("您前面还有 2 位"); a repeated 转人工 is
acknowledged ("you are already in the queue"); past the wait we promised, an apology and the
call-back times as buttons. Pressing one leaves the queue and books the call-back (the bot, back,
handles the press as it does when nobody is available). While an agent has the chat, their reply
is the answer: nothing is added.
"""
from __future__ import annotations

import asyncio
from typing import Callable, Optional

from rasa.core.channels.channel import UserMessage

from actions.service.constants import HUMAN_PAYLOAD
from actions.service.human_lane.callback_times import callback_options
from actions.service.human_lane.handoff import TicketView, position_in_queue, service_open
from actions.service.language import in_language
from bot.channels.phrases import ALREADY_QUEUED, CALL_BACK_OFFER, SORRY_TO_KEEP_YOU
from bot.nlu.human_request import load_phrases

WAITING = "waiting"


def asks_for_a_person(text: str) -> bool:
    """The designers' human-request phrases (bot/nlu/human_requests.yml): a waiting chat is not parsed."""
    return text.strip() == HUMAN_PAYLOAD or load_phrases().asks_for_a_person(text or "")


def waiting_reply(ticket: TicketView, text: str, position: int, wait_seconds: int, place_text: str):
    """(the sentence, call-back buttons or ()) for one message of a queued customer; None when not queued."""
    if ticket.status != WAITING or position <= 0:
        return None
    language = ticket.language
    parts = [in_language(ALREADY_QUEUED, language)] if asks_for_a_person(text) else []
    if past_promise(ticket):
        return _sorry_with_call_back(language, parts + [place_text])
    return "".join(parts + [place_text]), ()


def regular_update(ticket: TicketView, place_text: str, every_seconds: float):
    """(the sentence, call-back buttons or ()) of the queue's regular update: the place and wait, and
    in the first update after the promised wait has passed, the apology and the call-back offer too
    (once: later updates give the place, the offer stays on screen)."""
    promised = ticket.promised_wait_seconds
    if past_promise(ticket) and ticket.waiting_seconds <= promised + every_seconds:
        return _sorry_with_call_back(ticket.language, [place_text])
    return place_text, ()


def past_promise(ticket: TicketView) -> bool:
    """The customer has waited longer than the wait they were told when queued."""
    return ticket.promised_wait_seconds is not None and ticket.waiting_seconds > ticket.promised_wait_seconds


def _sorry_with_call_back(language: str, middle: list):
    sentence = "".join([in_language(SORRY_TO_KEEP_YOU, language)] + middle + [in_language(CALL_BACK_OFFER, language)])
    return sentence, tuple(callback_options(language, service_open()))


async def reply_while_waiting(message: UserMessage, ticket: TicketView, text: str, tell,
                              place_in_queue_text: Callable[[str, int, float], str]) -> Optional[str]:
    """Answer one message of a queued customer through `tell(message, text, buttons, language)`,
    with the place in the queue said as the queue's own updates say it."""
    position, wait = await asyncio.to_thread(position_in_queue, ticket.id)
    reply = waiting_reply(ticket, text, position, wait, place_in_queue_text(ticket.language, position, wait))
    if reply is None:
        return None
    sentence, buttons = reply
    await tell(message, sentence, buttons, ticket.language)
    return sentence
