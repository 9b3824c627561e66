"""The human lane over the REST channel, against real servers: pause, relay, call-back."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
import requests

from tests.servers import MODEL, ROOT, TEST_TOKEN, Servers, new_sender, texts


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
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it first)")
    running = Servers(tmp_path_factory.mktemp("lane"), extra_env={"ANXIN_RATE_LIMIT_BURST": "20"}).start()
    sign_in_agent(running, "lane-agent")
    yield running
    running.stop()


def test_with_a_person_online_the_bot_pauses_and_stays_silent(staffed):
    sender = new_sender()
    staffed.say(sender, "我要查保单")
    reply = texts(staffed.say(sender, "转人工"))
    assert "人工客服" in reply and "服务单号" in reply
    assert "pause" in tracker_events(staffed, sender)

    for words in ("喂？", "我的保单到期了怎么办", "还在吗"):
        assert staffed.say(sender, words) == []  # the bot says nothing while a person has the conversation

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
