"""Changes a verified customer makes to their own details, each one audited with masked values."""
from __future__ import annotations

import re
from typing import Optional

from actions.service.core.db import session_scope
from actions.service.formatting import mask_account, mask_phone
from actions.service.core.models import ChangeRecord, Customer, Policy
from actions.service.numbers import digit_string


def normalize_card_number(text: str) -> Optional[str]:
    """A bank card number (16-19 digits passing the Luhn check), or None."""
    digits = digit_string(text)
    if not re.fullmatch(r"\d{16,19}", digits) or not _luhn_valid(digits):
        return None
    return digits


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def change_debit_account(customer_id: int, card_number: str) -> str:
    """Point every policy of the customer at the new card; returns the masked card.

    Only the last 4 digits are kept here: the full number goes to the bank's mandate, never to us.
    """
    last4 = card_number[-4:]
    with session_scope() as session:
        policies = session.query(Policy).filter_by(customer_id=customer_id).all()
        old = ",".join(sorted({mask_account(p.account_last4) for p in policies}))
        for policy in policies:
            policy.account_last4 = last4
        session.add(ChangeRecord(customer_id=customer_id, kind="debit_account", old_value=old,
                                 new_value=mask_account(last4)))
    return mask_account(last4)


def phone_in_use(phone: str, customer_id: int) -> bool:
    with session_scope() as session:
        other = session.query(Customer).filter(Customer.phone == phone, Customer.id != customer_id).first()
        return other is not None


def change_phone(customer_id: int, phone: str) -> str:
    """Store the new mobile number; returns it masked."""
    with session_scope() as session:
        customer = session.get(Customer, customer_id)
        session.add(ChangeRecord(customer_id=customer_id, kind="phone", old_value=mask_phone(customer.phone),
                                 new_value=mask_phone(phone)))
        customer.phone = phone
    return mask_phone(phone)
