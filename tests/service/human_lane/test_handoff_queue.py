"""The human lane's queue: priority, position and wait, the atomic take, messages, SLA, hours, call-backs."""
from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect

from actions.service.core import db
from actions.service.human_lane.agents import audit_log, create_agent, login
from actions.service.claims.reports import open_callbacks
from actions.service.core.db import session_scope
from actions.service.human_lane.handoff import (
    DEFAULT_HANDLING_TIME, HandoffBackend, active_ticket_for_sender, add_message, handoff_backend, human_available,
    open_handoff_ticket, position_in_queue, queue, queue_positions, queue_summary, queue_version, resolve_ticket,
    schedule_callback, service_open, take_ticket, ticket_detail, ticket_messages,
)
from actions.service.core.interactions import Interaction
from actions.service.core.models import HandoffTicket, ServiceEvent
from tests.conftest import clear_service_caches

PASSWORD = "correct horse battery"
DEFAULT_WAIT = int(DEFAULT_HANDLING_TIME.total_seconds())


@pytest.fixture
def desk(demo_db):
    """One agent for every language, logged in (online) now."""
    agent = create_agent("lin", PASSWORD, "小林 Lin")
    login("lin", PASSWORD)
    return agent


def ask(sender: str, customer_id=None, language="zh-Hans", at=None, caller_phone=None, said="转人工"):
    return open_handoff_ticket(Interaction(sender, customer_id, "rest", language, "request_human"), "request_human",
                               [("customer", said)], summary=said, caller_phone=caller_phone, now=at)


def _status(ticket_id: int) -> str:
    with session_scope() as session:
        return session.get(HandoffTicket, ticket_id).status


def test_queue_order_is_senior_then_vip_then_standard_then_waiting_time(desk, customers):
    start = datetime.utcnow() - timedelta(seconds=60)
    first_come = ask("anon-1", at=start)  # standard, but waiting longest
    emily = ask("emily", customers.emily, "en", at=start + timedelta(seconds=1))  # VIP tier
    wang = ask("wang", customers.wang, at=start + timedelta(seconds=2))  # 76
    caller = ask("caller", None, "yue", at=start + timedelta(seconds=3), caller_phone="+852 9123 4567")  # 陳大文, 78
    later = ask("anon-2", at=start + timedelta(seconds=4))
    zhang = ask("zhang", customers.zhang, at=start + timedelta(seconds=5))  # 68

    assert [t.priority for t in (first_come, emily, wang, caller, later, zhang)] == [
        "standard", "vip", "senior", "senior", "standard", "senior"]
    assert all(t.staffed for t in (first_come, emily, wang, caller, later, zhang))
    assert [v.reference for v in queue()] == [t.reference for t in (wang, caller, zhang, emily, first_come, later)]
    take_ticket(wang.id, desk.id)
    summary = {s.language: s for s in queue_summary()}
    assert (summary["zh-Hans"].waiting, summary["zh-Hans"].active, summary["zh-Hans"].agents_online) == (3, 1, 1)
    assert summary["zh-Hans"].longest_wait_seconds >= 60 and summary["zh-Hans"].sla_breaches == 4  # nobody replied
    assert (summary["en"].waiting, summary["yue"].waiting, summary["zh-Hant"].waiting) == (1, 1, 0)
    assert ask("caller", None, "yue", at=start + timedelta(seconds=3)).priority == "senior"  # asked again
    views = {v.sender_id: v for v in queue()}
    assert views["wang"].customer_name == "王**" and views["emily"].customer_name == "E**** L*"
    assert views["caller"].customer_id is None  # a matching number makes a senior, not a verified customer
    assert views["anon-1"].waiting_seconds >= 60


def test_position_and_estimated_wait_within_the_language(desk, customers):
    start = datetime.utcnow() - timedelta(seconds=30)
    a = ask("a", at=start)
    b = ask("b", at=start + timedelta(seconds=1))
    english = ask("c", language="en", at=start + timedelta(seconds=2))
    senior = ask("wang", customers.wang, at=start + timedelta(seconds=3))
    assert (a.position, a.estimated_wait_seconds) == (1, DEFAULT_WAIT)  # 3 min per customer ahead, 1 agent
    assert (b.position, b.estimated_wait_seconds) == (2, 2 * DEFAULT_WAIT)
    assert (english.position, english.estimated_wait_seconds) == (1, DEFAULT_WAIT)  # its own queue
    assert senior.position == 1
    assert position_in_queue(a.id) == (2, 2 * DEFAULT_WAIT)  # the senior went ahead
    assert position_in_queue(b.id)[0] == 3

    create_agent("mei", PASSWORD, "小美 Mei", skills=("zh-Hans",))
    login("mei", PASSWORD)
    assert position_in_queue(b.id) == (3, 3 * DEFAULT_WAIT // 2)  # two agents share the work

    # Handling time is learned from finished tickets: taken at +0 s, resolved 60 s later.
    taken = datetime.utcnow()
    assert take_ticket(senior.id, desk.id, now=taken)
    resolve_ticket(senior.id, desk.id, now=taken + timedelta(seconds=60))
    assert position_in_queue(b.id) == (2, 60)
    assert position_in_queue(senior.id) == (0, 0)  # no longer waiting


def test_language_skills_route_tickets(demo_db, customers):
    create_agent("ann", PASSWORD, "Ann", skills=("en",))
    login("ann", PASSWORD)
    english = ask("emily", customers.emily, "en")
    cantonese = ask("chan", customers.chan, "yue")
    assert english.staffed and not cantonese.staffed  # nobody speaks Cantonese: offer a call-back
    assert (cantonese.position, cantonese.estimated_wait_seconds) == (0, 0)
    assert human_available("en") and not human_available("yue")

    create_agent("mei", PASSWORD, "小美 Mei", skills=("zh-Hans",))
    login("mei", PASSWORD)
    traditional = ask("tw", language="zh-Hant")
    assert traditional.staffed
    assert [v.sender_id for v in queue(("en",))] == ["emily"]
    assert [v.sender_id for v in queue("zh-Hans")] == ["tw"]  # Mandarin agents read Traditional characters
    assert [v.sender_id for v in queue("yue")] == []  # the Cantonese request was not queued
    assert [v.sender_id for v in queue(["zh-Hans", "en"])] == ["emily", "tw"]  # VIP first
    assert {v.sender_id for v in queue()} == {"emily", "tw"}  # supervisors: every open ticket


def test_unstaffed_ticket_joins_the_queue_when_asked_again_with_someone_online(demo_db):
    alone = ask("s1")
    assert not alone.staffed and _status(alone.id) == "unstaffed"
    assert active_ticket_for_sender("s1") is None  # the bot keeps answering this customer
    create_agent("lin", PASSWORD, "小林 Lin")
    login("lin", PASSWORD)
    again = ask("s1", said="还是要人工")
    assert again.id == alone.id and again.staffed and again.position == 1
    assert active_ticket_for_sender("s1").status == "waiting"


def test_take_race_on_sqlite_exactly_one_agent_wins(desk):
    other = create_agent("mei", PASSWORD, "小美 Mei")
    _race([desk.id, other.id])


def test_take_race_on_postgresql_exactly_one_agent_wins(postgres_db):
    first = create_agent("lin", PASSWORD, "小林 Lin")
    second = create_agent("mei", PASSWORD, "小美 Mei")
    login("lin", PASSWORD)
    _race([first.id, second.id])


def _race(agent_ids, rounds=15):
    for round_ in range(rounds):
        ticket = ask(f"race-{round_}")
        assert ticket.staffed
        barrier = threading.Barrier(len(agent_ids))
        results = {}

        def take(agent_id):
            barrier.wait()
            results[agent_id] = take_ticket(ticket.id, agent_id)

        threads = [threading.Thread(target=take, args=(agent_id,)) for agent_id in agent_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(results.values()) == [False, True], results
        (winner,) = [agent_id for agent_id, won in results.items() if won]
        view = active_ticket_for_sender(f"race-{round_}")
        assert (view.status, view.agent_id) == ("active", winner)


def test_take_only_a_waiting_ticket(desk):
    ticket = ask("s1")
    assert take_ticket(ticket.id, desk.id)
    assert not take_ticket(ticket.id, desk.id)
    assert not take_ticket(999999, desk.id)
    view = active_ticket_for_sender("s1")
    assert (view.status, view.agent_name, view.taken_at is not None) == ("active", "小林 Lin", True)


def test_messages_are_masked_in_order_and_polled_by_id(desk, customers):
    ticket = ask("s1", customers.wang, said="我的卡 6222021234567894 扣款失败")
    take_ticket(ticket.id, desk.id)
    first = add_message(ticket.id, "customer", "电话 13800000001，验证码 123456")
    add_message(ticket.id, "agent", "好的，已经查到 P2019000001", agent_id=desk.id)
    add_message(ticket.id, "note", "客户很着急", agent_id=desk.id)
    lines = ticket_messages(ticket.id)
    assert [(m.author, m.text) for m in lines] == [
        ("customer", "电话 ****0001，验证码 123456"),  # short codes and references stay readable
        ("agent", "好的，已经查到 P2019000001"),
        ("note", "客户很着急")]
    assert lines[1].agent_name == "小林 Lin"
    assert [m.author for m in ticket_messages(ticket.id, after_id=first)] == ["agent", "note"]
    with pytest.raises(ValueError):
        add_message(ticket.id, "hacker", "hi")
    with pytest.raises(ValueError):
        add_message(999999, "customer", "hi")

    detail = ticket_detail(ticket.id, viewer_id=desk.id)
    assert detail.transcript == [("customer", "我的卡 ****7894 扣款失败")]
    assert (detail.customer.name, detail.customer.phone, detail.customer.age >= 65) == ("王建国", "138****0001", True)
    assert len(detail.messages) == 3
    assert (audit_log(1)[0].action, audit_log(1)[0].customer_id) == ("view_ticket", customers.wang)


def test_first_response_sla_of_10_seconds(desk):
    start = datetime.utcnow()
    quick, slow, silent = (ask(f"s{i}", at=start) for i in range(3))
    for ticket in (quick, slow, silent):
        take_ticket(ticket.id, desk.id, now=start + timedelta(seconds=2))
    add_message(quick.id, "customer", "在吗", now=start + timedelta(seconds=3))  # the customer's words don't count
    add_message(quick.id, "agent", "您好，我是小林", agent_id=desk.id, now=start + timedelta(seconds=9))
    add_message(quick.id, "agent", "请稍等", agent_id=desk.id, now=start + timedelta(seconds=30))

    def breached(at):
        return {v.sender_id: v.sla_breached for v in queue(now=at)}

    assert breached(start + timedelta(seconds=9)) == {"s0": False, "s1": False, "s2": False}
    add_message(slow.id, "agent", "您好", agent_id=desk.id, now=start + timedelta(seconds=11))
    assert breached(start + timedelta(seconds=20)) == {"s0": False, "s1": True, "s2": True}
    views = {v.sender_id: v for v in queue()}
    assert views["s0"].first_response_at == start + timedelta(seconds=9)  # the first reply, not the latest
    assert views["s0"].last_message_at == start + timedelta(seconds=30)


def test_service_hours(monkeypatch):
    def hours(spec, moment):
        monkeypatch.setenv("ANXIN_SERVICE_HOURS", spec)
        clear_service_caches()
        return service_open(moment)

    # 09:00-09:01 in Shanghai is 01:00-01:01 UTC.
    assert hours("09:00-09:01", datetime(2026, 11, 30, 1, 0, 30))
    assert not hours("09:00-09:01", datetime(2026, 11, 30, 1, 1))
    assert not hours("09:00-09:01", datetime(2026, 11, 30, 0, 59))
    assert hours("09:00-12:00, 13:00-18:00", datetime(2026, 11, 30, 6, 0))  # 14:00
    assert not hours("09:00-12:00, 13:00-18:00", datetime(2026, 11, 30, 4, 30))  # lunch
    assert hours("22:00-06:00", datetime(2026, 11, 30, 20, 0))  # 04:00 the next morning
    assert not hours("22:00-06:00", datetime(2026, 11, 30, 4, 0))
    assert hours("00:00-24:00", datetime(2026, 11, 30, 15, 59, 59))
    with pytest.raises(ValueError):
        hours("9am-5pm", datetime(2026, 11, 30, 4, 0))


def test_closed_hours_mean_not_staffed_even_with_agents_online(desk, monkeypatch):
    now = datetime.utcnow()
    local = now.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Asia/Shanghai"))
    opens = (local + timedelta(hours=12)).strftime("%H:%M")  # one minute, half a day away
    closes = (local + timedelta(hours=12, minutes=1)).strftime("%H:%M")
    monkeypatch.setenv("ANXIN_SERVICE_HOURS", f"{opens}-{closes}")
    clear_service_caches()
    ticket = ask("s1", at=now)
    assert not ticket.staffed and not human_available("zh-Hans", now)
    assert active_ticket_for_sender("s1") is None
    assert queue() == []


def test_callback_task_is_stored_for_the_unstaffed_request(demo_db, customers):
    ticket = ask("s1", customers.wang)
    assert not ticket.staffed
    due = datetime(2026, 12, 1, 2, 0)
    task = schedule_callback(Interaction("s1", customers.wang, "rest", "zh-Hans"), due)
    assert (task.customer_id, task.phone, task.reason, task.subject, task.due_at, task.status) == (
        customers.wang, "13800000001", "handoff", ticket.reference, due, "open")
    assert [(t.id, t.reason) for t in open_callbacks()] == [(task.id, "handoff")]
    assert _status(ticket.id) == "callback"

    anonymous = schedule_callback(Interaction("tg-42", None, "telegram", "zh-Hans"), due, phone="+86 139-0000-0009")
    assert (anonymous.phone, anonymous.subject) == ("+8613900000009", "")
    nobody = schedule_callback(Interaction("web-7", None, "socketio", "en"), due)
    assert (nobody.phone, nobody.subject) == ("", "socketio:web-7")  # staff write back in that chat


def test_resolve_and_hand_back(desk, customers):
    other = create_agent("mei", PASSWORD, "小美 Mei")
    boss = create_agent("boss", PASSWORD, "王主管 Wang", role="supervisor")
    first, second = ask("s1"), ask("s2")
    take_ticket(first.id, desk.id)
    take_ticket(second.id, desk.id)
    assert resolve_ticket(first.id, other.id) is None  # not theirs
    done = resolve_ticket(first.id, desk.id)
    assert (done.status, done.resolved_at is not None) == ("resolved", True)
    assert resolve_ticket(first.id, desk.id) is None  # once
    assert active_ticket_for_sender("s1") is None
    back = resolve_ticket(second.id, boss.id, outcome="handed_back")  # a supervisor may close any
    assert (back.status, back.agent_id) == ("handed_back", desk.id)
    with pytest.raises(ValueError):
        resolve_ticket(second.id, desk.id, outcome="deleted")
    assert queue() == []


def test_queue_version_changes_with_every_write(desk):
    versions = [queue_version()]
    ticket = ask("s1")
    versions.append(queue_version())
    take_ticket(ticket.id, desk.id)
    versions.append(queue_version())
    add_message(ticket.id, "customer", "你好")
    versions.append(queue_version())
    resolve_ticket(ticket.id, desk.id)
    versions.append(queue_version())
    assert len(set(versions)) == len(versions)
    assert queue_version() == versions[-1]  # reading changes nothing


def test_backend_protocol_default_is_the_console(desk):
    backend: HandoffBackend = handoff_backend()
    ticket = backend.open(Interaction("s1", None, "rest", "en"), "request_human", [("customer", "agent please")])
    backend.customer_message(ticket.id, "hello?")
    take_ticket(ticket.id, desk.id)
    backend.agent_message(ticket.id, desk.id, "Hello, this is Lin")
    assert [m.author for m in ticket_messages(ticket.id)] == ["customer", "agent"]
    assert backend.resolve(ticket.id, desk.id).status == "resolved"


def test_every_handoff_counts_for_analytics_seniors_too(desk, customers):
    ask("wang", customers.wang)
    ask("anon")
    with session_scope() as session:
        events = session.query(ServiceEvent.kind, ServiceEvent.customer_id).order_by(ServiceEvent.id).all()
    assert events == [("handoff", customers.wang), ("handoff", None)]


def test_queue_with_200_waiting_tickets(desk, customers):
    start = datetime.utcnow() - timedelta(minutes=30)
    who = [(None, "zh-Hans"), (customers.wang, "zh-Hans"), (customers.emily, "en"), (None, "en"),
           (customers.chan, "yue"), (customers.zhang, "zh-Hans"), (None, "yue")]
    made = []
    for n in range(200):
        customer_id, language = who[n % len(who)]
        made.append(ask(f"bulk-{n}", customer_id, language, at=start + timedelta(seconds=n)))
    assert all(t.staffed for t in made)
    rank = {"senior": 0, "vip": 1, "standard": 2}
    expected = [t.reference for t in sorted(made, key=lambda t: (rank[t.priority], t.id))]

    timings = []
    for _ in range(5):
        began = time.perf_counter()
        views = queue()
        timings.append(time.perf_counter() - began)
    assert [v.reference for v in views] == expected
    english = [t for t in made if t.id in {v.id for v in queue("en")}]
    positions = queue_positions()
    for position, ticket in enumerate(sorted(english, key=lambda t: (rank[t.priority], t.id)), start=1):
        assert position_in_queue(ticket.id) == positions[ticket.id] == (position, position * DEFAULT_WAIT)
    assert len(positions) == 200
    print(f"\nqueue() with 200 waiting tickets on SQLite: best {min(timings) * 1000:.1f} ms, "
          f"median {sorted(timings)[2] * 1000:.1f} ms")


def test_an_older_database_is_migrated(tmp_path, monkeypatch):
    """A var/anxin.db from before the console: handoff_tickets and customers lack the new columns."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.executescript("""
            CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(80), name_en VARCHAR(80), birth_date DATE,
                phone VARCHAR(20) UNIQUE, id_last4_hash VARCHAR(64), language VARCHAR(8), dialect VARCHAR(40),
                address VARCHAR(200));
            CREATE TABLE handoff_tickets (id INTEGER PRIMARY KEY, sender_id VARCHAR(120), channel VARCHAR(30),
                language VARCHAR(8), intent VARCHAR(60), created_at DATETIME, customer_id INTEGER,
                reason VARCHAR(60), summary TEXT, transcript TEXT, status VARCHAR(20));
            INSERT INTO customers (id, name, name_en, birth_date, phone, language) VALUES
                (1, 'Emily Li', 'Emily Li', '1990-07-01', '13700000003', 'en');
            INSERT INTO handoff_tickets VALUES (1, 'old-sender', 'rest', 'zh-Hans', 'request_human',
                '2026-11-01 10:00:00.000000', NULL, 'request_human', '', 'customer: 人工', 'waiting');
        """)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("ANXIN_DATABASE_URL", url)
    clear_service_caches()
    try:
        from actions.service.seed import seed_demo_data
        seed_demo_data()
        columns = {c["name"] for c in inspect(db.get_engine(url)).get_columns("handoff_tickets")}
        assert {"priority", "agent_id", "taken_at", "first_response_at", "resolved_at", "updated_at"} <= columns
        indexes = {i["name"] for i in inspect(db.get_engine(url)).get_indexes("handoff_tickets")}
        assert {"ix_handoff_tickets_status", "ix_handoff_tickets_updated_at"} <= indexes
        (old,) = queue()
        assert (old.sender_id, old.priority, old.status) == ("old-sender", "standard", "waiting")
        assert active_ticket_for_sender("old-sender").id == 1
        agent = create_agent("lin", PASSWORD, "小林 Lin")
        login("lin", PASSWORD)
        assert take_ticket(1, agent.id)
        emily = ask("emily", 1, "en")
        assert (emily.priority, emily.staffed) == ("vip", True)  # the seed gave the old row its tier
    finally:
        db.get_engine(url).dispose()
        clear_service_caches()
