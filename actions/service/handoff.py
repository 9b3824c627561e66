"""Handoff tickets: a customer asks for a person and brings what they already said."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Tuple

from actions.service.db import session_scope
from actions.service.formatting import mask_digits_in_text
from actions.service.interactions import FEEDBACK, HANDOFF, RATING, Interaction, record_service_event
from actions.service.models import Feedback, HandoffTicket


@dataclass(frozen=True)
class Ticket:
    id: int
    reference: str


def open_handoff_ticket(interaction: Interaction, reason: str, transcript: Iterable[Tuple[str, str]],
                        summary: str = "") -> Ticket:
    """Store a waiting ticket with the conversation so far; long digit runs are masked.

    One open ticket per sender: asking again returns the waiting one with the newer transcript.
    """
    lines = "\n".join(f"{who}: {mask_digits_in_text(text)}" for who, text in transcript if text)
    with session_scope() as session:
        ticket = session.query(HandoffTicket).filter_by(sender_id=interaction.sender_id, status="waiting").first()
        if ticket is None:
            ticket = HandoffTicket(sender_id=interaction.sender_id, reason=reason)
            session.add(ticket)
        ticket.customer_id = interaction.customer_id or ticket.customer_id
        ticket.channel, ticket.language, ticket.intent = interaction.channel, interaction.language, interaction.intent
        ticket.transcript = lines
        ticket.summary = mask_digits_in_text(summary) or ticket.summary
        session.flush()
        reference = f"H{ticket.id:06d}"
    record_service_event(interaction, HANDOFF, reason)
    return Ticket(ticket.id, reference)


def record_feedback(interaction: Interaction, text: str, rating: Optional[int] = None) -> int:
    """Store free feedback or a 1-5 rating (with its optional comment)."""
    with session_scope() as session:
        feedback = Feedback(text=mask_digits_in_text(text), rating=rating, **interaction.columns())
        session.add(feedback)
        session.flush()
        feedback_id = feedback.id
    record_service_event(interaction, RATING if rating is not None else FEEDBACK,
                         str(rating) if rating is not None else text)
    return feedback_id
