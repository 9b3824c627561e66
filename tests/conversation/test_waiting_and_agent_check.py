"""Issue 15 against real servers, in the four languages: a customer locked out of the bot's identity
check reaches a person, the agent checks who they are in the console (wrong answers refused and
counted, audited without the answers), hands back, and the bot answers policy questions without
asking again; a waiting customer hears their place and wait on request and, unasked, at least every
interval (a short one here), changed or not.

Its own server pair: the queue-update interval is 3 s, and the agent's tickets must not meet others'.
"""
from __future__ import annotations

import re
import sqlite3
import time

import pytest

from tests.bot.console.console_client import Console, create_agents
from tests.servers import Servers, new_sender, socketio_chat, texts

HUMAN = "/request_human"
ALL_LANGUAGES = ["zh-Hans", "zh-Hant", "yue", "en"]
UPDATE_SECONDS = 3

# (language, what they ask, a number nobody has, the customer: lookup, ID last 4, birth date, a policy number)
LOCKED_OUT = [
    ("zh-Hans", "我的保单", "13800009981", "13800000001", "5821", "1950年5月12日", "P2019000001"),
    ("zh-Hant", "我的保單資料", "13800009982", "P2016000003", "7340", "1958-09-03", "P2016000003"),
    ("yue", "我想睇下我張保單", "13800009983", "85291234567", "2034", "1948/2/20", "P2010000004"),
    ("en", "show my policies", "13800009984", "13700000003", "7788", "1990-07-01", "P2023000005"),
]
PLACE = {
    "zh-Hans": r"您前面还有\d+位|马上就到您",
    "zh-Hant": r"您前面還有\d+位|馬上就到您",
    "yue": r"您前面仲有\d+位|即刻到您",
    "en": r"ahead of you|You're next",
}
MINUTES = r"\d+ ?(分钟|分鐘|min)"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    running = Servers(tmp_path_factory.mktemp("agent-check"),
                      extra_env={"ANXIN_QUEUE_UPDATE_SECONDS": str(UPDATE_SECONDS), "ANXIN_RATE_LIMIT_BURST": "50",
                                 "ANXIN_SERVICE_HOURS": "00:00-24:00"}).start()
    try:
        create_agents(running, [("fang", "王芳", "agent", ALL_LANGUAGES)])
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def fang(servers):
    console = Console(servers)
    assert console.login("fang").status_code == 200  # online: handoffs queue for her
    return console


def audit_rows(servers, ticket_id):
    with sqlite3.connect(servers.workdir / "anxin.db") as db:
        return db.execute("SELECT a.detail, g.display_name FROM audit_log a JOIN agents g ON g.id = a.agent_id "
                          "WHERE a.ticket_id = ? AND a.action = 'identity_check' ORDER BY a.id", (ticket_id,)).fetchall()


def lock_out(servers, sender, ask, wrong_phone):
    servers.say(sender, ask)
    for attempt in range(3):
        servers.say(sender, wrong_phone)
        locked = servers.say(sender, f"000{attempt}")
    assert HUMAN in [b.get("payload") for m in locked for b in m.get("buttons") or []]


@pytest.mark.parametrize("language, ask, wrong_phone, lookup, last4, born, policy", LOCKED_OUT)
def test_a_locked_out_customer_is_verified_by_the_agent_and_the_bot_then_answers(servers, fang, language, ask,
                                                                                  wrong_phone, lookup, last4, born,
                                                                                  policy):
    sender = new_sender()
    lock_out(servers, sender, ask, wrong_phone)
    fang.get("/api/me")
    servers.say(sender, HUMAN)
    ticket = fang.ticket_of(sender)
    assert ticket and ticket["status"] == "waiting"
    path = f"/api/tickets/{ticket['id']}"
    before = fang.get(path).json()
    assert not before["verification"]["verified"] and not before["policies"]  # the bot could not verify them
    assert fang.post(f"{path}/take").status_code == 200

    wrong = fang.post(f"{path}/verify", {"lookup": lookup, "id_last4": last4, "birth_date": "1960-01-01"})
    assert wrong.status_code == 422 and wrong.json()["attempts_left"] == 2
    assert not fang.get(path).json()["verification"]["verified"]
    right = fang.post(f"{path}/verify", {"lookup": lookup, "id_last4": last4, "birth_date": born})
    assert right.status_code == 200, right.text
    view = fang.get(path).json()
    assert view["verification"]["verified"] and "verified by agent 王芳" in view["verification"]["verified_by_label"]
    assert "verified by agent 王芳" in view["summary"]
    assert policy in [p["number"] for p in view["policies"]]  # the agent now sees the customer's policies

    outcomes = audit_rows(servers, ticket["id"])
    assert [(detail.split()[0], who) for detail, who in outcomes] == [("outcome=mismatch", "王芳"),
                                                                     ("outcome=verified", "王芳")]
    assert not any(secret in detail for detail, _ in outcomes for secret in (last4, lookup, born, "1960"))

    assert fang.post(f"{path}/handback").status_code == 200
    answer = texts(servers.say(sender, ask))  # the same question as before the lockout: answered now
    assert policy in answer
    assert not re.search(r"手机号码|手機號碼|mobile number", answer), answer  # not asked again


def test_wrong_answers_run_out_and_the_check_needs_a_session(servers, fang):
    sender = new_sender()
    lock_out(servers, sender, "我的保单", "13800009985")
    fang.get("/api/me")
    servers.say(sender, HUMAN)
    ticket = fang.ticket_of(sender)
    path = f"/api/tickets/{ticket['id']}/verify"
    answers = {"lookup": "13800000001", "id_last4": "5821", "birth_date": "1950-05-12"}

    assert Console(servers).post(path, answers).status_code == 401  # no session
    assert fang.post(path, answers, headers={}).status_code == 403  # no console header
    assert fang.post(path, answers).status_code == 409  # not taken yet: nobody asked the customer
    assert fang.post(f"/api/tickets/{ticket['id']}/take").status_code == 200
    tries = [fang.post(path, {**answers, "id_last4": f"000{n}"}) for n in range(3)]
    assert [t.status_code for t in tries] == [422, 422, 422]
    assert [t.json()["attempts_left"] for t in tries] == [2, 1, 0]
    refused = fang.post(path, answers)  # the right answers, too late for this ticket
    assert refused.status_code == 429
    assert not fang.get(f"/api/tickets/{ticket['id']}").json()["verification"]["verified"]
    assert [d.split()[0] for d, _ in audit_rows(servers, ticket["id"])] == ["outcome=mismatch"] * 3 + ["outcome=too_many"]
    fang.post(f"/api/tickets/{ticket['id']}/handback")


@pytest.mark.parametrize("language, hello, asked", [
    ("zh-Hans", "你好", "我前面还有几个人"),
    ("zh-Hant", "您好，請問", "還要等多久"),
    ("yue", "你好，唔該", "仲要等幾耐"),
    ("en", "hello", "how long"),
])
def test_a_waiting_customer_who_asks_hears_place_and_wait(servers, fang, language, hello, asked):
    sender = new_sender()
    servers.say(sender, hello)
    fang.get("/api/me")
    servers.say(sender, HUMAN)
    assert fang.ticket_of(sender)["status"] == "waiting"
    answer = servers.say(sender, asked)
    assert [m["metadata"]["author"] for m in answer] == ["system"]  # a notice, not the bot
    said = answer[0]["text"]
    assert re.search(PLACE[language], said) and re.search(MINUTES, said), said


def test_a_silent_waiting_customer_hears_place_and_wait_every_interval(servers, fang):
    fang.get("/api/me")
    with socketio_chat(servers.url) as (client, replies, session_id):
        client.emit("user_uttered", {"message": HUMAN, "session_id": session_id})
        queued = replies.get(timeout=60)
        assert "人工客服" in queued.get("text", "")
        notices = []
        deadline = time.time() + 4 * UPDATE_SECONDS + 2
        while time.time() < deadline:
            try:
                message = replies.get(timeout=max(0.1, deadline - time.time()))
            except Exception:  # queue.Empty: the time is up
                break
            if (message.get("metadata") or {}).get("author") == "system":
                notices.append(message["text"])
    # unchanged place, said again and again: at least every interval, never a pile at once
    assert len(notices) >= 3, notices
    assert all(re.search(PLACE["zh-Hans"], n) and re.search(MINUTES, n) for n in notices), notices
