"""The bot server cannot be reached mid-call: the caller hears an apology, and still reaches a person.

The first turn the bot cannot take (BotUnavailable from a call hook) is answered with an apology
and "say it again in a moment, or press 0 for a person"; it is not a failed recognition. If the bot
stays unreachable (the next turn fails too, or the caller presses 0), the call opens a call-back
handoff ticket itself, through the service layer (the same ticket the handoff action opens, then
booked as a call-back like the customer's own choice of time), with the caller's number and what
they said, and reads them the ticket number. A call has at most one such ticket: later outages and
another 0 repeat its number and add the caller's new words to it. Once the bot answers again, the
call goes on as usual.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import List, Optional

from actions.service.constants import HUMAN_PAYLOAD
from actions.service.core.interactions import Interaction
from actions.service.formatting import mask_phone
from actions.service.human_lane.callback_times import callback_due_at, offered_choices
from actions.service.human_lane.handoff import handoff_backend, schedule_callback, service_open
from voice.phone import prompts
from voice.phone.call_state import BotReply, CallState

logger = logging.getLogger(__name__)

REASON = "bot_unavailable"  # the ticket's reason and the call-back's: the bot, not the caller, failed
APOLOGIES_BEFORE_TICKET = 1  # turns answered with an apology alone before a person is called in


class BotOutage:
    """The call's answer while the bot cannot be reached, and its one call-back ticket."""

    def __init__(self, call: CallState) -> None:
        self.call = call
        self.misses = 0  # turns in a row the bot could not take
        self.said: List[str] = []  # the caller's words the bot never got, for the ticket
        self.ticket: Optional[str] = None  # the reference of this call's call-back ticket
        self.ticket_id: Optional[int] = None

    def recovered(self) -> None:
        """The bot answered: the next outage starts with an apology again (the ticket, if any, stays)."""
        if self.misses:
            logger.info("phone call %s: the bot answers again", self.call.sender_id)
        self.misses = 0
        self.said = []

    async def reply(self, text: str) -> BotReply:
        """What the caller hears instead of the bot's answer to `text`."""
        call = self.call
        self.misses += 1
        if not text.startswith("/") and not text.isdigit():  # a key's payload or typed (ID) digits: not words
            self.said.append(text)
        logger.warning("phone call %s: the bot cannot be reached (%d turn(s) in a row)", call.sender_id, self.misses)
        language = call.language
        if text != HUMAN_PAYLOAD and self.misses <= APOLOGIES_BEFORE_TICKET:
            texts = [prompts.text("bot_busy", language), prompts.text("human_option", language)]
        else:
            number = (call.metadata.get("caller") or "").strip()
            try:
                await self._ticket(number)
            except Exception:  # the database is down too: the apology, rather than silence
                logger.exception("phone call %s: could not open a call-back ticket", call.sender_id)
                texts = [prompts.text("bot_busy", language), prompts.text("human_option", language)]
            else:
                phrase = "callback_ticket" if number else "ticket_call_again"
                texts = [prompts.text(phrase, language, ticket=prompts.spoken_reference(self.ticket, language))]
        # The lane is as it was: an outage neither hands the call to a person nor takes it back.
        return BotReply([{"text": t} for t in texts], language, handed_off=call.handed_off)

    async def _ticket(self, number: str) -> None:
        """Open the call's call-back ticket, or add the caller's new words to the one it has."""
        said, self.said = self.said, []
        if self.ticket_id is not None:
            for line in said:
                await asyncio.to_thread(handoff_backend().customer_message, self.ticket_id, line)
            return
        call = self.call
        interaction = Interaction(call.sender_id, None, "phone", call.language, "request_human")
        ticket = await asyncio.to_thread(handoff_backend().open, interaction, REASON,
                                         [("customer", line) for line in said], said[-1] if said else "",
                                         number or None)
        await asyncio.to_thread(schedule_callback, interaction, _first_callback_time(), REASON, number or None)
        self.ticket, self.ticket_id = ticket.reference, ticket.id
        logger.info("phone call %s: call-back ticket %s opened for %s", call.sender_id, ticket.reference,
                    mask_phone(number) if number else "a withheld number")


def _first_callback_time() -> datetime:
    """The earliest call-back time a customer could choose now (within the hour while the service is open)."""
    return callback_due_at(offered_choices(service_open())[0])
