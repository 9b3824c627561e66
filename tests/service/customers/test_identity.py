"""Identity check: how customers type their phone and ID digits, and the lock after 3 failures."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from actions.service.core.db import session_scope
from actions.service.customers.identity import (
    LOCKED, MISMATCH, VERIFIED, hash_id_last4, is_senior, is_senior_age, normalize_id_last4, normalize_phone,
    verify_identity,
)
from actions.service.core.models import Customer, VerificationFailure

NOW = datetime(2026, 3, 1, 9, 30)  # naive UTC, as the service stores it

WANG_PHONE, WANG_ID = "13800000001", "5821"
ZHANG_PHONE, ZHANG_ID = "13900000002", "7340"
EMILY_PHONE, EMILY_ID = "13700000003", "7788"




# --- phone numbers as customers type or say them ------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("13800000001", "13800000001"),
    ("138 0000 0001", "13800000001"),
    ("138-0000-0001", "13800000001"),
    ("+86 138 0000 0001", "13800000001"),
    ("+8613800000001", "13800000001"),
    ("0086 138 0000 0001", "13800000001"),
    ("１３８ ００００ ０００１", "13800000001"),  # full-width digits from a Chinese IME
    ("一三八零零零零零零零一", "13800000001"),  # spoken digits (speech recognition)
    ("幺三八零零零零零零零幺", "13800000001"),  # 幺 = 1 when reading numbers aloud
    ("我的手机号是 138 0000 0001", "13800000001"),
    ("9123 4567", "85291234567"),  # Hong Kong mobile without +852
    ("+852 9123 4567", "85291234567"),
    ("(852) 6123-4567", "85261234567"),
])
def test_normalize_phone_accepts_real_mobile_numbers(text, expected):
    assert normalize_phone(text) == expected


@pytest.mark.parametrize("text", [
    "",
    "hello",
    "12345",
    "1380000000",        # 10 digits
    "138000000011",      # 12 digits
    "12800000001",       # mainland mobiles start 13-19
    "23800000001",
    "3123 4567",         # Hong Kong mobiles start with 4-9
    "852 3123 4567",
    "+86 138 0000 00012",
])
def test_normalize_phone_rejects_non_mobile_numbers(text):
    assert normalize_phone(text) is None


# --- last 4 characters of the ID card ---------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("5821", "5821"),
    (" 5821 ", "5821"),
    ("５８２１", "5821"),
    ("五八二一", "5821"),
    ("582X", "582X"),
    ("582x", "582X"),  # lower-case check digit
    ("11010519491231582X", "582X"),  # a whole 18-character ID: only the last 4 are used
    ("110105194912315821", "5821"),
])
def test_normalize_id_last4_accepts_digits_and_check_letter(text, expected):
    assert normalize_id_last4(text) == expected


@pytest.mark.parametrize("text", ["", "582", "58211", "X582", "58X1", "abcd", "13800000001"])
def test_normalize_id_last4_rejects_anything_else(text):
    assert normalize_id_last4(text) is None


def test_normalize_id_last4_natural_chinese_answer():
    assert normalize_id_last4("身份证后四位是5821") == "5821"


def test_id_hash_is_keyed_and_case_insensitive(customers):
    assert hash_id_last4("582x") == hash_id_last4("582X")
    assert hash_id_last4("5821") != hash_id_last4("5822")
    with session_scope() as session:
        stored = session.query(Customer).filter_by(phone=WANG_PHONE).one().id_last4_hash
    assert stored == hash_id_last4(WANG_ID)
    assert len(stored) == 64  # only a keyed SHA-256 is stored, never the digits


# --- verification ------------------------------------------------------------------------------

def test_verify_success_for_senior_customer(customers):
    result = verify_identity(WANG_PHONE, WANG_ID, "chat-wang", now=NOW)
    assert result.status == VERIFIED
    assert result.customer_id == customers.wang
    assert result.customer_name == "王建国"
    assert result.customer_name_en == "Wang Jianguo"
    assert result.is_senior is True  # born 1950


def test_verify_success_for_younger_customer_is_not_senior(customers):
    result = verify_identity(EMILY_PHONE, EMILY_ID, "chat-emily", now=NOW)
    assert result.status == VERIFIED
    assert result.customer_id == customers.emily
    assert result.is_senior is False  # born 1990


def test_senior_flag_turns_on_at_65th_birthday(customers):
    # Emily Li is born 1990-07-01.
    assert verify_identity(EMILY_PHONE, EMILY_ID, "c1", now=datetime(2055, 6, 30, 12)).is_senior is False
    assert verify_identity(EMILY_PHONE, EMILY_ID, "c1", now=datetime(2055, 7, 1, 12)).is_senior is True


def test_is_senior_from_the_65th_birthday_and_never_for_an_unknown_birth_date():
    born = date(1961, 3, 2)
    assert is_senior(born, date(2026, 3, 1)) is False
    assert is_senior(born, date(2026, 3, 2)) is True
    assert is_senior(None, date(2026, 3, 2)) is False
    assert (is_senior_age(64), is_senior_age(65), is_senior_age(None)) == (False, True, False)


def test_wrong_digits_count_down_the_attempts(customers):
    first = verify_identity(WANG_PHONE, "0000", "chat-1", now=NOW)
    assert (first.status, first.attempts_left, first.customer_id) == (MISMATCH, 2, None)
    second = verify_identity(WANG_PHONE, "1111", "chat-1", now=NOW + timedelta(seconds=30))
    assert (second.status, second.attempts_left) == (MISMATCH, 1)


def test_success_resets_the_failure_count(customers):
    verify_identity(WANG_PHONE, "0000", "chat-1", now=NOW)
    verify_identity(WANG_PHONE, "0000", "chat-1", now=NOW)
    assert verify_identity(WANG_PHONE, WANG_ID, "chat-1", now=NOW).status == VERIFIED
    # Two earlier failures are forgiven: a new mistake has all attempts but one left again.
    assert verify_identity(WANG_PHONE, "0000", "chat-1", now=NOW).attempts_left == 2


def test_three_failures_lock_for_15_minutes(customers):
    verify_identity(WANG_PHONE, "0000", "chat-1", now=NOW)
    verify_identity(WANG_PHONE, "0000", "chat-1", now=NOW)
    third = verify_identity(WANG_PHONE, "0000", "chat-1", now=NOW)
    assert third.status == LOCKED
    assert third.locked_until == NOW + timedelta(minutes=15)
    assert third.customer_id is None

    # Even the right digits are refused while locked: no guessing through the lock.
    still = verify_identity(WANG_PHONE, WANG_ID, "chat-1", now=NOW + timedelta(minutes=14))
    assert still.status == LOCKED
    assert still.customer_id is None
    assert still.locked_until == NOW + timedelta(minutes=15)

    after = verify_identity(WANG_PHONE, WANG_ID, "chat-1", now=NOW + timedelta(minutes=16))
    assert after.status == VERIFIED
    assert after.customer_id == customers.wang


def test_lock_is_stored_in_the_database(customers):
    for _ in range(3):
        verify_identity(WANG_PHONE, "0000", "chat-1", now=NOW)
    with session_scope() as session:
        rows = {r.key: r.locked_until for r in session.query(VerificationFailure).all()}
    assert rows == {f"phone:{WANG_PHONE}": None,  # 3 of the phone's 10
                    "sender:chat-1": NOW + timedelta(minutes=15)}


def test_a_strangers_guesses_lock_the_strangers_chat_not_the_owner(customers):
    for _ in range(3):
        verify_identity(WANG_PHONE, "0000", "stranger", now=NOW)
    assert verify_identity(WANG_PHONE, WANG_ID, "stranger", now=NOW + timedelta(minutes=1)).status == LOCKED
    # 王建国 himself, from his own chat, is not kept out by someone else's guesses.
    result = verify_identity(WANG_PHONE, WANG_ID, "the-real-wang", now=NOW + timedelta(minutes=1))
    assert (result.status, result.customer_id) == (VERIFIED, customers.wang)


def test_lock_on_a_phone_applies_to_other_chats(customers):
    for attempt in range(10):
        verify_identity(WANG_PHONE, "0000", f"attacker-{attempt // 2}", now=NOW)
    # A different sender every two tries still locks the phone after 10: guessing cannot be spread out.
    result = verify_identity(WANG_PHONE, WANG_ID, "the-real-wang", now=NOW + timedelta(minutes=5))
    assert result.status == LOCKED
    assert verify_identity(WANG_PHONE, WANG_ID, "the-real-wang", now=NOW + timedelta(minutes=16)).status == VERIFIED


def test_the_owners_proven_phone_is_not_held_by_the_phones_lock(customers):
    for attempt in range(10):
        verify_identity(WANG_PHONE, "0000", f"attacker-{attempt // 2}", now=NOW)
    # Telegram's shared contact proves the number: its owner gets in, strangers stay out.
    owner = verify_identity(WANG_PHONE, WANG_ID, "telegram-wang", now=NOW + timedelta(minutes=1), phone_proven=True)
    assert (owner.status, owner.customer_id) == (VERIFIED, customers.wang)
    # The proven chat's own mistakes still lock that chat.
    for _ in range(2):
        assert verify_identity(WANG_PHONE, "0000", "telegram-x", now=NOW, phone_proven=True).status == MISMATCH
    assert verify_identity(WANG_PHONE, "0000", "telegram-x", now=NOW, phone_proven=True).status == LOCKED


def test_unknown_phone_looks_the_same_as_a_wrong_id(customers):
    unknown = verify_identity("13811112222", WANG_ID, "chat-a", now=NOW)
    wrong_id = verify_identity(WANG_PHONE, "0000", "chat-b", now=NOW)
    assert unknown.status == MISMATCH
    assert unknown == wrong_id  # nothing tells the caller whether the phone belongs to a customer


def test_unknown_phones_also_count_towards_the_lock(customers):
    verify_identity("13811112222", "0000", "chat-x", now=NOW)
    verify_identity("13811113333", "0000", "chat-x", now=NOW)
    assert verify_identity("13811114444", "0000", "chat-x", now=NOW).status == LOCKED


def test_lock_also_applies_to_the_same_sender_trying_another_phone(customers):
    for _ in range(3):
        verify_identity(WANG_PHONE, "0000", "chat-1", now=NOW)
    # Same chat, a different (even correct) customer's pair: still locked.
    other = verify_identity(ZHANG_PHONE, ZHANG_ID, "chat-1", now=NOW + timedelta(minutes=1))
    assert other.status == LOCKED
    assert other.customer_id is None
    # Zhang herself, from her own chat, is not affected.
    assert verify_identity(ZHANG_PHONE, ZHANG_ID, "chat-zhang", now=NOW + timedelta(minutes=1)).status == VERIFIED


def test_failures_spread_over_phones_lock_the_sender(customers):
    verify_identity(WANG_PHONE, "0000", "chat-1", now=NOW)
    verify_identity(WANG_PHONE, "0000", "chat-1", now=NOW)
    # The third failure is on another phone, but it is the same chat's third failure.
    assert verify_identity(ZHANG_PHONE, "0000", "chat-1", now=NOW).status == LOCKED
    assert verify_identity(EMILY_PHONE, EMILY_ID, "chat-1", now=NOW + timedelta(minutes=2)).status == LOCKED


def test_id_check_letter_compared_case_insensitively(customers):
    # A customer whose ID ends in X may type it in lower case; the service hashes upper case.
    with session_scope() as session:
        customer = session.query(Customer).filter_by(phone=EMILY_PHONE).one()
        customer.id_last4_hash = hash_id_last4("778X")
    assert verify_identity(EMILY_PHONE, "778x", "chat-e", now=NOW).status == VERIFIED


def test_id_digits_are_never_hashed_with_a_key_written_in_the_code(monkeypatch):
    from actions.service.core.settings import NoSecretKey, get_settings

    monkeypatch.setenv("ANXIN_SECRET_KEY", "one-secret")
    get_settings.cache_clear()
    with_key = hash_id_last4("5821")
    monkeypatch.setenv("ANXIN_SECRET_KEY", "")
    get_settings.cache_clear()
    with pytest.raises(NoSecretKey):
        hash_id_last4("5821")
    monkeypatch.setenv("ANXIN_SECRET_KEY", "another-secret")
    get_settings.cache_clear()
    assert hash_id_last4("5821") != with_key
