"""References customers read out on the phone: a prefix, the year and six random digits (CL-2026123456)."""
from __future__ import annotations

import secrets
from datetime import datetime


def new_reference(session, model, prefix: str, now: datetime) -> str:
    """An unguessable reference not yet used in `model.reference`."""
    while True:
        reference = f"{prefix}-{now.year}{secrets.randbelow(10 ** 6):06d}"
        if session.query(model.id).filter_by(reference=reference).first() is None:
            return reference
