"""How channels learn to speak to a customer by id or by number, without touching the database themselves."""
from __future__ import annotations

from datetime import date

from actions.service.customers.profiles import profile_by_id, profile_by_phone


def test_a_customer_is_found_by_phone_and_by_id_with_language_dialect_and_birth_date(customers):
    chan = profile_by_phone("85291234567")
    assert (chan.language, chan.dialect, chan.birth_date) == ("zh-Hant", "Cantonese", date(1948, 2, 20))
    assert profile_by_id(chan.customer_id) == chan


def test_an_unknown_number_or_id_finds_nobody(customers):
    assert profile_by_phone("13811112222") is None
    assert profile_by_id(999999) is None
