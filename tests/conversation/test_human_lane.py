"""The human lane over the REST channel, against real servers: pause, relay, call-back."""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta
import subprocess
import sys

import pytest
import requests

from tests.servers import ROOT, TEST_TOKEN, Servers, new_sender, texts


def sign_in_agent(servers: Servers, username: str, skills: str = "zh-Hans,zh-Hant,yue,en") -> None:
    """An agent logs in (and so is online) through the service layer, in the servers' database."""
    code = ("from actions.service.human_lane.agents import create_agent, login\n"
            f"create_agent({username!r}, 'a long test password', {username!r}, skills=tuple({skills!r}.split(',')))\n"
            f"assert login({username!r}, 'a long test password')\n")
    subprocess.run([sys.executable, "-c", code], env=servers.env, cwd=ROOT, check=True, capture_output=True)


def rows(servers: Servers, query: str, *args):
    with sqlite3.connect(servers.workdir / "anxin.db") as db:
        return db.execute(query, args).fetchall()


def tracker_events(servers: Servers, sender: str):
    response = requests.get(f"{servers.url}/conversations/{sender}/tracker", params={"token": TEST_TOKEN}, timeout=30)
    return [e["event"] for e in response.json()["events"]]


@pytest.fixture(scope="module")
def staffed(tmp_path_factory):
    """A server pair with an agent online."""
    running = Servers(tmp_path_factory.mktemp("lane"), extra_env={"ANXIN_RATE_LIMIT_BURST": "20"}).start()
    sign_in_agent(running, "lane-agent")
    yield running
    running.stop()


def test_with_a_person_online_the_bot_pauses_and_the_wait_is_never_silent(staffed):
    sender = new_sender()
    staffed.say(sender, "我要查保单")
    reply = texts(staffed.say(sender, "转人工"))
    assert "人工客服" in reply and "服务单号" in reply
    assert "pause" in tracker_events(staffed, sender)

    for words in ("喂？", "我的保单到期了怎么办", "还在吗"):
        answer = staffed.say(sender, words)  # the bot does not answer; each message gets the place in the queue
        assert [m["metadata"]["author"] for m in answer] == ["system"]
        assert re.search(r"您前面还有\d+位|马上就到您", answer[0]["text"])

    (ticket_id, status, transcript), = rows(staffed, "SELECT id, status, transcript FROM handoff_tickets "
                                                     "WHERE sender_id = ?", sender)
    assert status == "waiting" and "我要查保单" in transcript
    relayed = [text for (text,) in rows(staffed, "SELECT text FROM handoff_messages WHERE ticket_id = ? "
                                                 "AND author = 'customer' ORDER BY id", ticket_id)]
    assert relayed == ["喂？", "我的保单到期了怎么办", "还在吗"]


def test_a_waiting_customer_hears_their_place_in_the_queue(staffed):
    first, second = new_sender(), new_sender()
    staffed.say(first, "human please")
    reply = texts(staffed.say(second, "I want to talk to a person"))
    assert "ahead of you" in reply and "Ticket" in reply


def test_without_a_person_the_bot_offers_a_call_back_and_stays_usable(servers):
    sender = new_sender()
    messages = servers.say(sender, "转人工")
    assert "没有人工客服在线" in texts(messages)
    buttons = [b["payload"] for m in messages for b in m.get("buttons", [])]
    choice = next(p for p in buttons if "tomorrow_am" in p)
    assert "明天上午" in [b["title"] for m in messages for b in m.get("buttons", [])]
    assert "pause" not in tracker_events(servers, sender)

    confirmed = texts(servers.say(sender, choice))
    assert "打电话给您" in confirmed and "09:30" in confirmed
    assert rows(servers, "SELECT reason FROM callback_tasks WHERE status = 'open' AND reason = 'handoff'")
    assert "手机号" in texts(servers.say(sender, "我要查保单"))  # the bot goes on helping


def agent_online_now(servers: Servers) -> None:
    """A slow machine may outlast the first agent's presence: a fresh login keeps someone online."""
    sign_in_agent(servers, f"agent-{new_sender()}")


def test_pressing_human_again_while_waiting_is_acknowledged(staffed):
    agent_online_now(staffed)
    sender = new_sender()
    staffed.say(sender, "human please")
    again = staffed.say(sender, "/request_human")
    assert len(again) == 1 and "already in the queue" in again[0]["text"]


@pytest.mark.parametrize("language, first, sorry, call_back", [
    ("zh-Hans", "转人工", "抱歉让您久等了", "回电话"),
    ("zh-Hant", "請轉人工客服", "抱歉讓您久等了", "回電話"),
    ("yue", "我要搵真人", "要您等咗咁耐", "打返畀您"),
    ("en", "I want to talk to a person", "Sorry to keep you waiting", "call you back"),
])
def test_past_the_promised_wait_an_apology_and_a_call_back_offer(staffed, language, first, sorry, call_back):
    agent_online_now(staffed)
    sender = new_sender()
    staffed.say(sender, first)
    # five minutes pass with the promise at one
    (ticket_id,), = rows(staffed, "SELECT id FROM handoff_tickets WHERE sender_id = ?", sender)
    with sqlite3.connect(staffed.workdir / "anxin.db") as db:
        db.execute("UPDATE handoff_tickets SET created_at = ?, promised_wait_seconds = 60 WHERE id = ?",
                   (datetime.utcnow() - timedelta(minutes=5), ticket_id))
    answer = staffed.say(sender, {"zh-Hans": "还要等多久", "zh-Hant": "還要等多久", "yue": "點解咁耐都冇人嘅",
                                  "en": "how much longer"}[language])
    assert sorry in answer[0]["text"] and call_back in answer[0]["text"]
    choice = next(b["payload"] for b in answer[0]["buttons"] if "tomorrow_am" in b["payload"])
    booked = staffed.say(sender, choice)  # leaves the queue; the bot, back, books the call-back
    assert "09:30" in texts(booked)
    assert rows(staffed, "SELECT status FROM handoff_tickets WHERE id = ?", ticket_id) == [("withdrawn",)]
    assert "pause" not in tracker_events(staffed, sender)[-3:]

