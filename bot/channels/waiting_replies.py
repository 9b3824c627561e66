"""What a customer waiting for a person hears when they write: never silence.

Every message while queued gets its place and wait ("您前面还有 2 位"); a repeated 转人工 is
acknowledged ("you are already in the queue"); past the wait we promised, an apology and the
call-back times as buttons. Pressing one leaves the queue and books the call-back (the bot, back,
handles the press as it does when nobody is available). While an agent has the chat, their reply
is the answer: nothing is added.
"""
from __future__ import annotations

import asyncio
from typing import Optional

from rasa.core.channels.channel import UserMessage

from actions.service.constants import HUMAN_PAYLOAD
from actions.service.human_lane.callback_times import callback_options
from actions.service.human_lane.handoff import TicketView, position_in_queue, service_open
from actions.service.language import to_simplified

WAITING = "waiting"
# The words that ask for a person (as the NLU's request_human examples; a waiting chat is not parsed).
_HUMAN_WORDS = ("转人工", "人工", "真人", "客服", "human", "agent", "person")

_ALREADY = {
    "zh-Hans": "您已经在排队了，不用再按。",
    "zh-Hant": "您已經在排隊了，不用再按。",
    "yue": "您已經排緊隊，唔使再㩒。",
    "en": "You're already in the queue; no need to press again.",
}
_SORRY = {
    "zh-Hans": "抱歉让您久等了。",
    "zh-Hant": "抱歉讓您久等了。",
    "yue": "唔好意思，要您等咗咁耐。",
    "en": "Sorry to keep you waiting.",
}
_CALL_BACK = {
    "zh-Hans": "不想等的话，选个时间，我们给您回电话：",
    "zh-Hant": "不想等的話，選個時間，我們給您回電話：",
    "yue": "唔想等嘅話，揀個時間，我哋打返畀您：",
    "en": "Rather not wait? Pick a time and we'll call you back:",
}


def asks_for_a_person(text: str) -> bool:
    said = to_simplified(text or "").strip().lower()
    return said == HUMAN_PAYLOAD or (len(said) <= 12 and any(w in said for w in _HUMAN_WORDS))


def waiting_reply(ticket: TicketView, text: str, position: int, wait_seconds: int, place_text: str):
    """(the sentence, call-back buttons or ()) for one message of a queued customer; None when not queued."""
    if ticket.status != WAITING or position <= 0:
        return None
    language = ticket.language if ticket.language in _ALREADY else "zh-Hans"
    parts = [_ALREADY[language]] if asks_for_a_person(text) else []
    promised = ticket.promised_wait_seconds
    if promised is not None and ticket.waiting_seconds > promised:
        parts = [_SORRY[language]] + parts + [place_text, _CALL_BACK[language]]
        options = tuple(callback_options(language, service_open()))
        return "".join(parts), options
    return "".join(parts + [place_text]), ()


async def reply_while_waiting(message: UserMessage, ticket: TicketView, text: str, tell) -> Optional[str]:
    """Answer one message of a queued customer through `tell(message, text, buttons, language)`."""
    from bot.channels.human_lane import place_in_queue_text  # the queue update's own sentence

    position, wait = await asyncio.to_thread(position_in_queue, ticket.id)
    reply = waiting_reply(ticket, text, position, wait, place_in_queue_text(ticket.language, position, wait))
    if reply is None:
        return None
    sentence, buttons = reply
    await tell(message, sentence, buttons, ticket.language)
    return sentence
