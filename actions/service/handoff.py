"""Handoff tickets: a customer asks for a person and brings what they already said."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Tuple

from actions.service.db import session_scope
from actions.service.formatting import mask_digits_in_text
from actions.service.models import Feedback, HandoffTicket


@dataclass(frozen=True)
class Ticket:
    id: int
    reference: str


def open_handoff_ticket(sender_id: str, reason: str, transcript: Iterable[Tuple[str, str]],
                        customer_id: Optional[int] = None, channel: str = "", language: str = "zh-Hans",
                        summary: str = "") -> Ticket:
    """Store a waiting ticket with the conversation so far; long digit runs are masked.

    One open ticket per sender: asking again returns the waiting one with the newer transcript.
    """
    lines = "\n".join(f"{who}: {mask_digits_in_text(text)}" for who, text in transcript if text)
    with session_scope() as session:
        ticket = session.query(HandoffTicket).filter_by(sender_id=sender_id, status="waiting").first()
        if ticket is None:
            ticket = HandoffTicket(sender_id=sender_id, reason=reason)
            session.add(ticket)
        ticket.customer_id = customer_id or ticket.customer_id
        ticket.channel, ticket.language, ticket.transcript = channel, language, lines
        ticket.summary = mask_digits_in_text(summary) or ticket.summary
        session.flush()
        return Ticket(ticket.id, f"H{ticket.id:06d}")


def record_feedback(sender_id: str, text: str, customer_id: Optional[int] = None, channel: str = "",
                    language: str = "zh-Hans", rating: Optional[int] = None) -> int:
    with session_scope() as session:
        feedback = Feedback(sender_id=sender_id, customer_id=customer_id, channel=channel, language=language,
                            text=mask_digits_in_text(text), rating=rating)
        session.add(feedback)
        session.flush()
        return feedback.id
