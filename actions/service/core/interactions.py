"""The context every customer-facing record keeps, and the voice-of-the-customer event log."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Dict, Optional

from actions.service.core.db import session_scope
from actions.service.formatting import mask_digits_in_text
from actions.service.core.models import ServiceEvent

# Kinds of service events that analytics counts.
RATING, FEEDBACK, COMPLAINT, FALLBACK, HANDOFF, CLAIM_REPORT = (
    "rating", "feedback", "complaint", "fallback", "handoff", "claim_report")


@dataclass(frozen=True)
class Interaction:
    """Who is talking (sender, verified customer), where (channel), in which language, about which intent."""

    sender_id: str
    customer_id: Optional[int] = None
    channel: str = ""
    language: str = "zh-Hans"
    intent: str = ""

    def columns(self) -> Dict[str, object]:
        """The InteractionColumns of a table row."""
        return asdict(self)


def record_service_event(interaction: Interaction, kind: str, detail: str = "") -> None:
    """Store one event for analytics; digits runs in the detail are masked like everywhere else."""
    with session_scope() as session:
        session.add(ServiceEvent(kind=kind, detail=mask_digits_in_text(detail)[:300], **interaction.columns()))
