"""Console staff accounts: hashed passwords, expiring sessions, lockout, presence, audit log."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from actions.service import seed
from actions.service.human_lane.agents import (
    AccountLocked, AgentError, agent_for_session, agents_online, audit_log, create_agent, ensure_demo_agents,
    list_agents, login, logout, record_audit, set_password,
)
from actions.service.core.db import session_scope
from actions.service.core.models import Agent, AgentSession, UnknownLoginName

PASSWORD = "correct horse battery"
PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture
def agent(demo_db):
    return create_agent("Lin", PASSWORD, "小林 Lin", skills=("zh-Hans", "en"))


def _database_bytes(url: str) -> bytes:
    """Everything SQLite wrote: the main file and its write-ahead log."""
    path = Path(url[len("sqlite:///"):])
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_right_password_opens_a_session_and_nothing_secret_is_stored(demo_db, agent):
    session = login("lin", PASSWORD)  # usernames are case-insensitive
    assert session.agent == agent
    assert agent.skills == ("zh-Hans", "en") and agent.role == "agent" and not agent.is_supervisor
    assert agent_for_session(session.token) == agent
    with session_scope() as db:
        (row,) = db.query(Agent).all()
        assert row.password_hash.startswith("scrypt$") and PASSWORD not in row.password_hash
        (stored,) = db.query(AgentSession).all()
        assert stored.token_hash != session.token and len(stored.token_hash) == 64
    raw = _database_bytes(demo_db)
    assert PASSWORD.encode() not in raw and session.token.encode() not in raw


def test_wrong_password_or_unknown_name_gives_nothing(agent):
    assert login("lin", "wrong password!") is None
    assert login("nobody", PASSWORD) is None
    assert agent_for_session("not-a-token") is None
    assert agent_for_session("") is None


def test_five_wrong_passwords_in_15_minutes_lock_the_account_for_15_minutes(agent):
    start = datetime(2026, 11, 30, 9, 0)
    for minute in range(4):
        assert login("lin", "wrong password!", now=start + timedelta(minutes=minute)) is None
    with pytest.raises(AccountLocked) as locked:
        login("lin", "wrong password!", now=start + timedelta(minutes=4))
    assert locked.value.until == start + timedelta(minutes=19)
    with pytest.raises(AccountLocked):  # even the right password, while locked
        login("lin", PASSWORD, now=start + timedelta(minutes=18))
    assert login("lin", PASSWORD, now=start + timedelta(minutes=19)).agent == agent
    actions = [entry.action for entry in audit_log(20)]
    assert actions.count("login_failed") == 4 and actions.count("account_locked") == 1


def _answers(username: str, start: datetime, minutes) -> list:
    """What each login attempt answered: None, or the lock's end."""
    answers = []
    for minute in minutes:
        try:
            answers.append(login(username, "wrong password!", now=start + timedelta(minutes=minute)))
        except AccountLocked as locked:
            answers.append(("locked", locked.until))
    return answers


@pytest.mark.parametrize("minutes", [range(8), (0, 5, 10, 14, 16, 17, 18, 19, 20), (0, 1, 2, 3, 4, 19, 20)])
def test_an_unknown_name_answers_exactly_like_an_account_so_names_cannot_be_found(agent, minutes):
    start = datetime(2026, 11, 30, 9, 0)
    assert _answers("nobody", start, minutes) == _answers("lin", start, minutes)
    assert _answers("Nobody ", start, [21]) == _answers("LIN", start, [21])  # names compare as accounts do
    with session_scope() as db:  # the unknown name is not written down
        assert all("nobody" not in row.name_hash for row in db.query(UnknownLoginName).all())


def test_wrong_passwords_spread_over_more_than_15_minutes_do_not_lock(agent):
    start = datetime(2026, 11, 30, 9, 0)
    for minute in (0, 5, 10, 14):
        assert login("lin", "wrong password!", now=start + timedelta(minutes=minute)) is None
    # The window restarts at the fifth: 16 minutes after the first.
    assert login("lin", "wrong password!", now=start + timedelta(minutes=16)) is None
    assert login("lin", PASSWORD, now=start + timedelta(minutes=17)) is not None


def test_a_right_password_resets_the_count(agent):
    start = datetime(2026, 11, 30, 9, 0)
    for minute in range(4):
        login("lin", "wrong password!", now=start + timedelta(minutes=minute))
    assert login("lin", PASSWORD, now=start + timedelta(minutes=4)) is not None
    assert login("lin", "wrong password!", now=start + timedelta(minutes=5)) is None  # 1 of 5 again


def test_session_ends_after_30_idle_minutes(agent):
    start = datetime(2026, 11, 30, 9, 0)
    token = login("lin", PASSWORD, now=start).token
    assert agent_for_session(token, now=start + timedelta(minutes=29)) == agent  # use refreshes it
    assert agent_for_session(token, now=start + timedelta(minutes=58)) == agent
    assert agent_for_session(token, now=start + timedelta(minutes=88)) is None
    assert agent_for_session(token, now=start + timedelta(minutes=89)) is None  # gone for good
    with session_scope() as db:
        assert db.query(AgentSession).count() == 0


def test_sessions_that_ended_by_time_are_cleared_at_the_next_login(agent):
    start = datetime(2026, 11, 30, 9, 0)
    login("lin", PASSWORD, now=start)
    login("lin", PASSWORD, now=start + timedelta(minutes=5))
    with session_scope() as db:
        assert db.query(AgentSession).count() == 2  # two browsers, both live
    fresh = login("lin", PASSWORD, now=start + timedelta(minutes=40))
    with session_scope() as db:
        (left,) = db.query(AgentSession).all()
    assert left.created_at == start + timedelta(minutes=40) and agent_for_session(
        fresh.token, now=start + timedelta(minutes=41)) == agent


def test_session_ends_8_hours_after_login_however_busy(agent):
    start = datetime(2026, 11, 30, 9, 0)
    session = login("lin", PASSWORD, now=start)
    assert session.expires_at == start + timedelta(hours=8)
    for minutes in range(20, 8 * 60, 20):  # busy all day: never idle
        assert agent_for_session(session.token, now=start + timedelta(minutes=minutes)) == agent
    assert agent_for_session(session.token, now=start + timedelta(hours=8)) is None


def test_logout_ends_the_session_and_the_presence(agent):
    session = login("lin", PASSWORD)
    assert agents_online() == 1
    logout(session.token)
    assert agent_for_session(session.token) is None
    assert agents_online() == 0
    logout(session.token)  # twice is harmless


def test_agents_online_by_last_use_and_language(demo_db):
    create_agent("ann", PASSWORD, "Ann", skills=("en",))
    create_agent("wing", PASSWORD, "詠詩 Wing", skills=("yue", "zh-Hant"))
    create_agent("mei", PASSWORD, "小美 Mei", skills=("zh-Hans",))
    assert agents_online() == 0  # accounts alone are nobody at a desk
    start = datetime.utcnow()
    for username in ("ann", "wing", "mei"):
        login(username, PASSWORD, now=start)
    assert agents_online(now=start) == 3
    assert agents_online("en", now=start) == 1
    assert agents_online("yue", now=start) == 1
    assert agents_online("zh-Hant", now=start) == 2  # Mandarin agents read Traditional characters too
    assert agents_online("zh-Hans", now=start) == 1
    assert agents_online(now=start + timedelta(minutes=1, seconds=59)) == 3
    assert agents_online(now=start + timedelta(minutes=2)) == 0


def test_using_the_console_keeps_an_agent_online(agent):
    start = datetime.utcnow()
    token = login("lin", PASSWORD, now=start).token
    assert agent_for_session(token, now=start + timedelta(minutes=1, seconds=50)) == agent
    assert agents_online(now=start + timedelta(minutes=3)) == 1


def test_account_rules(demo_db, agent):
    with pytest.raises(AgentError):
        create_agent("LIN", PASSWORD, "another Lin")  # taken, whatever the case
    with pytest.raises(AgentError):
        create_agent("short", "123456789", "Short")
    with pytest.raises(AgentError):
        create_agent("fr", PASSWORD, "Français", skills=("fr",))
    with pytest.raises(AgentError):
        create_agent("boss", PASSWORD, "Boss", role="admin")
    assert [a.username for a in list_agents()] == ["lin"]


def test_password_reset_unlocks_and_ends_sessions(agent):
    old = login("lin", PASSWORD)
    for _ in range(4):
        login("lin", "wrong password!")
    with pytest.raises(AccountLocked):
        login("lin", "wrong password!")
    set_password("lin", "a new long password")
    assert agent_for_session(old.token) is None
    assert login("lin", PASSWORD) is None
    assert login("lin", "a new long password").agent == agent


def test_audit_log_newest_first_with_digits_masked(agent):
    login("lin", PASSWORD)
    record_audit(agent.id, "view_customer", customer_id=1, detail="called back 13800000001")
    newest, previous = audit_log(2)
    assert (newest.action, newest.agent_name, newest.customer_id, newest.detail) == (
        "view_customer", "小林 Lin", 1, "called back ****0001")
    assert previous.action == "login"


def test_demo_agents_are_made_once_and_their_passwords_work(demo_db):
    passwords = ensure_demo_agents()
    assert set(passwords) == {"agent", "supervisor"}
    assert login("agent", passwords["agent"]).agent.skills == ("zh-Hans", "zh-Hant", "yue", "en")
    assert login("supervisor", passwords["supervisor"]).agent.is_supervisor
    assert ensure_demo_agents() == {}
    raw = _database_bytes(demo_db)
    assert not any(password.encode() in raw for password in passwords.values())


def test_seed_prints_the_demo_logins_once(demo_db, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["seed"])
    seed.main()
    first = capsys.readouterr().out
    lines = [line for line in first.splitlines() if line.startswith("Agent console login:")]
    assert [line.split()[3] for line in lines] == ["agent", "supervisor"]
    assert all("(shown once" in line for line in lines)
    password = lines[0].split()[5]
    assert login("agent", password) is not None
    seed.main()
    assert "Agent console login" not in capsys.readouterr().out


def _staff_cli(demo_db, *args, typed=""):
    # No terminal in the child: getpass reads the typed lines from stdin, as it would from a pipe.
    env = dict(os.environ, ANXIN_DATABASE_URL=demo_db)
    return subprocess.run([sys.executable, "-m", "actions.service.staff_cli", *args], input=typed, text=True,
                          capture_output=True, cwd=PROJECT, env=env, start_new_session=True, timeout=120)


def test_staff_cli_adds_an_agent_and_resets_a_password(demo_db):
    added = _staff_cli(demo_db, "agent-add", "wing", "--name", "詠詩 Wing", "--skills", "yue,zh-Hant",
                       typed="first long password\nfirst long password\n")
    assert added.returncode == 0, added.stderr
    assert "first long password" not in added.stdout
    assert login("wing", "first long password").agent.skills == ("yue", "zh-Hant")

    mismatch = _staff_cli(demo_db, "agent-password", "wing", typed="second long password\nsomething else\n")
    assert mismatch.returncode == 1 and "differ" in mismatch.stderr
    reset = _staff_cli(demo_db, "agent-password", "wing", typed="second long password\nsecond long password\n")
    assert reset.returncode == 0, reset.stderr
    assert login("wing", "first long password") is None
    assert login("wing", "second long password") is not None
    assert "wing" in _staff_cli(demo_db, "agents").stdout
