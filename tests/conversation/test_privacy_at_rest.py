"""Issue 12 item 4 end to end: after customers type their whole numbers, no store or log holds them.

Two demo customers verify by typing their whole ID numbers, change their debit card, and mention
the ID number again in passing, through the REST channel of the real servers. Then every file the
servers wrote (the tracker store, the business database, both logs) is searched for the ID
numbers, the card numbers and the ID digits, and the processes' command lines for the secrets.
"""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from tests.servers import TEST_ACTION_SECRET, TEST_GATEWAY_SECRET, TEST_TOKEN, new_sender, texts, verify

# Made-up whole numbers of the demo customers (their ID numbers end in the demo ID digits).
WANG = {"phone": "13800000001", "id_number": "110105195005125821", "id_digits": "5821", "card": "6222 0212 3456 7894",
        "ask": "我想换扣款的银行卡", "aside": "顺便说一下我的身份证号是{id}", "ok": "已改好"}
EMILY = {"phone": "13700000003", "id_number": "110101199007017788", "id_digits": "7788", "card": "6217001234567893",
         "ask": "I want to change my debit card", "aside": "my ID number is {id} by the way", "ok": "****7893"}


@pytest.fixture(scope="module")
def session_typed(servers):
    """The scripted conversations; returns what each customer was answered."""
    answers = {}
    for customer in (WANG, EMILY):
        sender = new_sender()
        verified = verify(servers, sender, customer["phone"], customer["id_number"], customer["ask"])
        confirm = texts(servers.say(sender, customer["card"]))
        done = texts(servers.say(sender, "/affirm"))
        aside = texts(servers.say(sender, customer["aside"].format(id=customer["id_number"])))
        answers[sender] = (verified, confirm, done, aside)
        assert customer["card"][-4:] in confirm and customer["ok"] in done, (verified, confirm, done)
    return answers


def written_files(servers) -> list:
    return [path for path in Path(servers.workdir).iterdir() if path.is_file()]


def test_no_store_or_log_holds_a_whole_card_or_id_number(servers, session_typed):
    secrets = [number for customer in (WANG, EMILY)
               for number in (customer["id_number"], customer["card"], customer["card"].replace(" ", ""))]
    for path in written_files(servers):
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"{secret} is in {path.name}"


def test_the_tracker_store_holds_no_id_digits(servers, session_typed):
    """The ID answer and the id_last4 slot are stored redacted (the digits alone would match too much to grep)."""
    database = sqlite3.connect(Path(servers.workdir) / "tracker.db")
    try:
        rows = [json.loads(data) for (data,) in database.execute("SELECT data FROM events WHERE sender_id IN "
                                                                 f"({','.join('?' * len(session_typed))})",
                                                                 list(session_typed))]
    finally:
        database.close()
    assert rows, "the conversations were stored"
    said = [row.get("text") or "" for row in rows if row["event"] == "user"]
    slot_values = [str(row.get("value")) for row in rows if row["event"] == "slot"]
    for digits in (WANG["id_digits"], EMILY["id_digits"]):
        standalone = re.compile(rf"(?<!\d){digits}(?!\d)")
        assert not any(standalone.search(text) for text in said + slot_values), digits
    assert all(row.get("value") is None for row in rows if row["event"] == "slot" and row["name"] == "id_last4")


def test_the_secrets_are_not_on_any_command_line(servers):
    for process in servers.processes:
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert TEST_TOKEN.encode() not in command_line and TEST_ACTION_SECRET.encode() not in command_line
        assert TEST_GATEWAY_SECRET.encode() not in command_line  # the voice gateway's too (the pair starts it)
