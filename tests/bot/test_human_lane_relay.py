"""The human lane inside the Rasa server: relaying a paused conversation, the outbox, queue updates.

Real database (the seeded SQLite of `demo_db`), real tickets; the channel's `on_new_message` is a
recorder standing in for Rasa, because what is tested is what reaches Rasa and what does not.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import List

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from actions.service.human_lane.agents import create_agent, login
from actions.service.human_lane.handoff import active_ticket_for_sender, open_handoff_ticket, ticket_messages
from actions.service.core.interactions import Interaction
from bot.channels.human_lane import (OUTBOX, HUMAN, SYSTEM, LaneMessage, QueueNotifier, place_in_queue_text,
                                     relaying, send_to_customer)


def _ticket_for(sender: str, language: str = "zh-Hans"):
    interaction = Interaction(sender_id=sender, channel="rest", language=language, intent="request_human")
    return open_handoff_ticket(interaction, "request_human", [("customer", "转人工")])


def _agent_online():
    create_agent("duty", "a long test password", "王芳")
    assert login("duty", "a long test password")


def _relay(texts: List[str], sender: str):
    reached_rasa: List[str] = []

    async def rasa(message: UserMessage) -> None:
        reached_rasa.append(message.text)

    handle = relaying("rest", rasa)
    outputs = []
    for text in texts:
        output = CollectingOutputChannel()
        asyncio.run(handle(UserMessage(text, output, sender, input_channel="rest")))
        outputs.append(output.messages)
    return reached_rasa, outputs


def test_without_a_ticket_every_message_goes_to_the_bot(demo_db):
    reached, _ = _relay(["你好", "我要查保单"], "nobody-waiting")
    assert reached == ["你好", "我要查保单"]


def test_while_a_person_has_the_conversation_nothing_reaches_the_bot(demo_db):
    _agent_online()
    ticket = _ticket_for("waiting-customer")
    assert ticket.staffed
    reached, outputs = _relay(["喂？", "还在吗"], "waiting-customer")
    assert reached == []
    # never silence: each message gets the place in the queue, as a notice (not the bot)
    assert [[m["metadata"]["author"] for m in said] for said in outputs] == [["system"], ["system"]]
    assert all("马上就到您" in said[0]["text"] for said in outputs)
    assert [(m.author, m.text) for m in ticket_messages(ticket.id)] == [("customer", "喂？"), ("customer", "还在吗")]


def test_starting_over_leaves_the_queue_and_reaches_the_bot(demo_db):
    _agent_online()
    _ticket_for("restarting")
    reached, _ = _relay(["/restart", "你好"], "restarting")
    assert reached == ["/restart", "你好"] and active_ticket_for_sender("restarting") is None


def test_an_agent_reply_on_a_channel_that_cannot_push_comes_with_the_next_answer(demo_db):
    _agent_online()
    _ticket_for("rest-customer")
    assert asyncio.run(send_to_customer("rest-customer", "rest", LaneMessage("您好，我来帮您。", HUMAN, "王芳")))
    _, outputs = _relay(["好的"], "rest-customer")
    assert [m["text"] for m in outputs[0]][0] == "👩‍💼 人工客服 王芳：您好，我来帮您。"
    assert outputs[0][0]["metadata"] == {"author": "human", "agent": "王芳"}
    assert [m["metadata"]["author"] for m in outputs[0][1:]] == ["system"]  # the place, still waiting
    assert OUTBOX.take("rest-customer") == []  # handed over once


def test_english_labels_and_notices():
    assert LaneMessage("Hello", HUMAN, "Amy", "en").labelled_text() == "👩‍💼 Agent Amy: Hello"
    assert LaneMessage("Amy joined", SYSTEM, "Amy", "en").labelled_text() == "ℹ️ Amy joined"
    assert place_in_queue_text("en", 3, 300) == "2 ahead of you, about 5 min. Please stay; you can keep typing."
    assert place_in_queue_text("yue", 1, 30) == "即刻到您，大約仲要1分鐘。請等等。"


def test_a_waiting_customer_hears_place_and_wait_every_minute_changed_or_not(demo_db):
    _agent_online()
    now = [datetime.utcnow()]
    notifier = QueueNotifier(clock=lambda: now[0])
    first, second = _ticket_for("first"), _ticket_for("second")
    assert asyncio.run(notifier.tell_changes()) == 0  # the bot told both their place at handoff
    from actions.service.human_lane.handoff import take_ticket
    from actions.service.human_lane.agents import login as _login
    agent_id = _login("duty", "a long test password").agent.id
    assert take_ticket(first.id, agent_id)           # the first is taken: the second moves up
    assert asyncio.run(notifier.tell_changes()) == 0  # ...but was told less than a minute ago
    now[0] += timedelta(seconds=61)
    assert asyncio.run(notifier.tell_changes()) == 1
    assert [m["text"] for m in OUTBOX.take("second")] == ["ℹ️ 马上就到您了，大约还要3分钟。请稍等。"]
    now[0] += timedelta(seconds=30)
    assert asyncio.run(notifier.tell_changes()) == 0  # not yet a minute
    now[0] += timedelta(seconds=31)
    assert asyncio.run(notifier.tell_changes()) == 1  # the same place, said again: no silence
    now[0] += timedelta(seconds=61)
    assert asyncio.run(notifier.tell_changes()) == 1
    # a customer who cannot be pushed to (REST) finds only the newest place waiting, not a pile
    assert [m["text"] for m in OUTBOX.take("second")] == ["ℹ️ 马上就到您了，大约还要3分钟。请稍等。"]


def test_past_the_promised_wait_the_regular_update_apologises_and_offers_a_call_back_once(demo_db):
    from actions.service.human_lane.handoff import promise_wait

    _agent_online()
    now = [datetime.utcnow()]
    notifier = QueueNotifier(clock=lambda: now[0])
    _ticket_for("ahead")
    late = _ticket_for("late", language="en")
    promise_wait(late.id, 90)                         # told "about 2 minutes" (at least a minute)
    asyncio.run(notifier.tell_changes())
    now[0] += timedelta(seconds=61)
    asyncio.run(notifier.tell_changes())
    on_time = OUTBOX.take("late")
    assert len(on_time) == 1 and not on_time[0].get("buttons")   # within the promise: the place only
    now[0] += timedelta(seconds=61)                   # 122 s > 90 s promised
    asyncio.run(notifier.tell_changes())
    (late_update,) = OUTBOX.take("late")
    assert "sorry" in late_update["text"].lower() and late_update["buttons"]  # call-back times as buttons
    now[0] += timedelta(seconds=61)
    asyncio.run(notifier.tell_changes())
    (later,) = OUTBOX.take("late")
    assert "sorry" not in later["text"].lower() and not later.get("buttons")  # said once, not every minute


def test_the_update_interval_is_a_setting(demo_db, monkeypatch):
    from actions.service.core.settings import get_settings
    from bot.channels.human_lane import place_check_seconds, place_update_seconds

    monkeypatch.setenv("ANXIN_QUEUE_UPDATE_SECONDS", "6")
    get_settings.cache_clear()
    assert place_update_seconds() == 6 and place_check_seconds() == 2
    _agent_online()
    now = [datetime.utcnow()]
    notifier = QueueNotifier(clock=lambda: now[0])
    _ticket_for("short")
    assert asyncio.run(notifier.tell_changes()) == 0
    now[0] += timedelta(seconds=7)
    assert asyncio.run(notifier.tell_changes()) == 1


def test_a_customers_message_gets_the_current_place_and_no_stale_one(demo_db):
    _agent_online()
    now = [datetime.utcnow()]
    _ticket_for("ahead"), _ticket_for("stale")
    notifier = QueueNotifier(clock=lambda: now[0])
    asyncio.run(notifier.tell_changes())
    now[0] += timedelta(seconds=61)
    assert asyncio.run(notifier.tell_changes()) == 2  # an update waits in the outbox for each
    _, outputs = _relay(["我前面还有几个人"], "stale")
    assert [m["text"] for m in outputs[0]] == ["ℹ️ 您前面还有1位，大约等6分钟。请不要挂断，也可以继续打字。"]


def test_two_notifiers_on_two_servers_tell_each_customer_once(any_db):
    _agent_online()
    now = [datetime.utcnow()]
    servers = [QueueNotifier(clock=lambda: now[0], holder=name) for name in ("rasa-1", "rasa-2")]
    first, _ = _ticket_for("ahead"), _ticket_for("behind")
    assert [asyncio.run(n.tell_changes()) for n in servers] == [0, 0]
    from actions.service.human_lane.agents import login as _login
    from actions.service.human_lane.handoff import take_ticket
    assert take_ticket(first.id, _login("duty", "a long test password").agent.id)
    now[0] += timedelta(seconds=61)
    assert sum(asyncio.run(n.tell_changes()) for n in servers) == 1
    assert [m["text"] for m in OUTBOX.take("behind")] == ["ℹ️ 马上就到您了，大约还要3分钟。请稍等。"]
    now[0] += timedelta(seconds=61)  # the holder's lease lapses: the other server takes over and says it once
    assert sum(asyncio.run(n.tell_changes()) for n in reversed(servers)) == 1
