"""Console staff: accounts, passwords, sessions, presence and the audit log.

- Passwords: hashlib.scrypt with a random salt per password, stored as
  ``scrypt$n$r$p$salt$hash`` (base64); checked in constant time. Never stored or logged in clear.
- Sessions: a random token goes to the browser; only its SHA-256 is stored. A session ends
  8 h after login whatever happens (absolute) or 30 min after its last use (idle); both come
  from settings (ANXIN_AGENT_SESSION_HOURS, ANXIN_AGENT_IDLE_MINUTES).
- Lockout: 5 wrong passwords within 15 min lock the account for 15 min (AccountLocked). A name that
  is no account locks the same way, so the answers never tell which usernames exist.
- Presence: an agent is online while a session was used within the last 2 min (last_seen_at).

All times are naive UTC, like the rest of the database. Functions take ``now`` so tests can move
the clock.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import update

from actions.service.constants import LANGUAGES
from actions.service.core.db import session_scope
from actions.service.formatting import mask_digits_in_text
from actions.service.core.models import Agent, AgentSession as AgentSessionRow, AuditEntry, UnknownLoginName
from actions.service.core.settings import get_settings

ROLES = ("agent", "supervisor")
# Which agent skills can answer a customer writing in each language: Mandarin agents (zh-Hans)
# read and write Traditional Chinese too.
SKILLS_FOR_LANGUAGE = {"zh-Hans": ("zh-Hans",), "zh-Hant": ("zh-Hant", "zh-Hans"), "yue": ("yue",), "en": ("en",)}

MAX_WRONG_PASSWORDS = 5
WRONG_PASSWORD_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
ONLINE_WINDOW = timedelta(minutes=2)
# A session's last use (and the agent's last_seen) is written at most this often: the console asks
# on every request, and a write each time would only add lock contention.
TOUCH_INTERVAL = timedelta(seconds=10)
MIN_PASSWORD_LENGTH = 10

# scrypt cost: 16 MiB and ~50 ms per check on a laptop core (OWASP's minimum is N=2**17 with r=8 at
# 128 MiB; this is the interactive-login compromise hashlib's default memory limit allows).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN = 2 ** 14, 8, 1, 32


@dataclass(frozen=True)
class AgentAccount:
    id: int
    username: str
    display_name: str
    role: str
    skills: Tuple[str, ...]

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    def can_serve(self, language: str) -> bool:
        """Whether this agent's skills cover a customer writing in `language`."""
        return serves(self.skills, language)


@dataclass(frozen=True)
class AgentSession:
    token: str  # give it to the browser (HttpOnly cookie); it is not stored anywhere
    agent: AgentAccount
    expires_at: datetime  # absolute end; the idle limit may end it sooner


@dataclass(frozen=True)
class AuditRecord:
    id: int
    agent_id: Optional[int]
    agent_name: str
    action: str
    ticket_id: Optional[int]
    customer_id: Optional[int]
    detail: str
    created_at: datetime


class AccountLocked(Exception):
    """Too many wrong passwords: no login (even with the right one) until `until` (naive UTC)."""

    def __init__(self, until: datetime):
        super().__init__(f"account locked until {until:%Y-%m-%d %H:%M} UTC")
        self.until = until


class AgentError(ValueError):
    """A refused account change (duplicate username, weak password, unknown role or skill)."""


def serves(skills: Iterable[str], language: str) -> bool:
    """Whether agents with these skills can answer a customer writing in `language`."""
    language = language or LANGUAGES[0]  # rows from before languages were recorded: the default
    return bool(set(skills) & set(SKILLS_FOR_LANGUAGE.get(language, (language,))))


# --- passwords ---------------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P,
                            dklen=_SCRYPT_LEN)
    encode = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encode(salt)}${encode(digest)}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


# Checked when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


def generate_password() -> str:
    """A random password that is easy to type from a printout (no 0/O, 1/l)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(14))


def _check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AgentError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")


# --- accounts ----------------------------------------------------------------------------------------

def _account(row: Agent) -> AgentAccount:
    skills = tuple(skill for skill in (row.skills or "").split(",") if skill)
    return AgentAccount(row.id, row.username, row.display_name, row.role, skills)


def create_agent(username: str, password: str, display_name: str, role: str = "agent",
                 skills: Iterable[str] = LANGUAGES) -> AgentAccount:
    """Add a console account; raises AgentError for a taken username, a short password, an unknown role/skill."""
    username = (username or "").strip().lower()
    skills = tuple(skills)
    if not username:
        raise AgentError("username is empty")
    if role not in ROLES:
        raise AgentError(f"role must be one of {', '.join(ROLES)}")
    unknown = [skill for skill in skills if skill not in LANGUAGES]
    if unknown:
        raise AgentError(f"unknown skills {unknown}; known: {', '.join(LANGUAGES)}")
    _check_password_strength(password)
    with session_scope() as session:
        if session.query(Agent.id).filter_by(username=username).first():
            raise AgentError(f"username {username} is taken")
        row = Agent(username=username, display_name=display_name.strip() or username, role=role,
                    skills=",".join(skills), password_hash=hash_password(password))
        session.add(row)
        session.flush()
        account = _account(row)
    record_audit(account.id, "account_created", detail=f"role={role} skills={','.join(skills)}")
    return account


def set_password(username: str, password: str) -> AgentAccount:
    """Reset a password: clears the lock and ends every session of the account."""
    _check_password_strength(password)
    with session_scope() as session:
        row = session.query(Agent).filter_by(username=(username or "").strip().lower()).first()
        if row is None:
            raise AgentError(f"no agent {username}")
        row.password_hash = hash_password(password)
        row.failed_logins, row.failures_since, row.locked_until = 0, None, None
        session.query(AgentSessionRow).filter_by(agent_id=row.id).delete()
        account = _account(row)
    record_audit(account.id, "password_reset")
    return account


def get_agent(agent_id: int) -> Optional[AgentAccount]:
    with session_scope() as session:
        row = session.get(Agent, agent_id)
        return _account(row) if row is not None else None


def list_agents() -> List[AgentAccount]:
    with session_scope() as session:
        return [_account(row) for row in session.query(Agent).order_by(Agent.username)]


DEMO_AGENTS = (
    # username, display name (customers see it: "小林 Lin joined"), role
    ("agent", "小林 Lin", "agent"),
    ("supervisor", "王主管 Wang", "supervisor"),
)


def ensure_demo_agents() -> Dict[str, str]:
    """Create the demo `agent` and `supervisor` (all four languages) on first run.

    Returns {username: password} for the accounts created now (empty when they exist), so the
    caller can show the passwords once; they are not kept anywhere in clear.
    """
    with session_scope() as session:
        existing = {name for (name,) in session.query(Agent.username)}
    created = {}
    for username, display_name, role in DEMO_AGENTS:
        if username not in existing:
            password = generate_password()
            create_agent(username, password, display_name, role=role, skills=LANGUAGES)
            created[username] = password
    return created


# --- login and sessions ------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login(username: str, password: str, now: Optional[datetime] = None) -> Optional[AgentSession]:
    """A new session for the right password; None for a wrong one or an unknown name.

    Raises AccountLocked while the account is locked, and on the wrong password that locks it.
    """
    now = now or datetime.utcnow()
    opened: Optional[AgentSession] = None
    locked_until: Optional[datetime] = None
    with session_scope() as session:
        row = (session.query(Agent).filter_by(username=(username or "").strip().lower(), active=True)
               .with_for_update().first())
        if row is None:
            password_matches(password or "", _DUMMY_HASH)  # as slow as a real check
            row = _unknown_name(session, username, now)
            if row.locked_until is not None and row.locked_until > now:
                raise AccountLocked(row.locked_until)
            locked_until = _count_failure(row, now)
        elif row.locked_until is not None and row.locked_until > now:
            raise AccountLocked(row.locked_until)
        elif password_matches(password or "", row.password_hash):
            opened = _open_session(session, row, now)
        else:
            locked_until = _count_wrong_password(session, row, now)
    # Raised only now: inside the transaction it would roll the lock back.
    if locked_until is not None:
        raise AccountLocked(locked_until)
    return opened


def _open_session(session, row: Agent, now: datetime) -> AgentSession:
    row.failed_logins, row.failures_since, row.locked_until = 0, None, None
    row.last_seen_at = now
    settings = get_settings()
    # Sessions nobody will use again (ended by time, never by logout) are cleared at each login.
    session.query(AgentSessionRow).filter(
        (AgentSessionRow.expires_at <= now)
        | (AgentSessionRow.last_used_at <= now - timedelta(minutes=settings.agent_idle_minutes))
    ).delete(synchronize_session=False)
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=settings.agent_session_hours)
    session.add(AgentSessionRow(token_hash=_token_hash(token), agent_id=row.id, created_at=now, last_used_at=now,
                                expires_at=expires_at))
    session.add(AuditEntry(agent_id=row.id, action="login", created_at=now))
    return AgentSession(token, _account(row), expires_at)


def _count_wrong_password(session, row: Agent, now: datetime) -> Optional[datetime]:
    """Count one wrong password in the current 15-minute window; the lock's end if this one locks."""
    locked_until = _count_failure(row, now)
    session.add(AuditEntry(agent_id=row.id, action="account_locked" if locked_until else "login_failed",
                           created_at=now))
    return locked_until


def _count_failure(row, now: datetime) -> Optional[datetime]:
    """One more failure on an account or an unknown name (same columns); the lock's end if this one locks."""
    if row.failures_since is None or now - row.failures_since > WRONG_PASSWORD_WINDOW:
        row.failures_since, row.failed_logins = now, 0
    row.failed_logins = (row.failed_logins or 0) + 1
    if row.failed_logins < MAX_WRONG_PASSWORDS:
        return None
    row.locked_until, row.failed_logins, row.failures_since = now + LOCK_DURATION, 0, None
    return row.locked_until


def _unknown_name(session, username: str, now: datetime) -> UnknownLoginName:
    """The failure record of a name that is no account (names whose window and lock are over are forgotten)."""
    session.query(UnknownLoginName).filter(
        UnknownLoginName.failures_since.is_(None) | (UnknownLoginName.failures_since < now - WRONG_PASSWORD_WINDOW),
        UnknownLoginName.locked_until.is_(None) | (UnknownLoginName.locked_until < now),
    ).delete(synchronize_session=False)
    name_hash = hashlib.sha256((username or "").strip().lower().encode("utf-8", "replace")).hexdigest()
    row = session.get(UnknownLoginName, name_hash)
    if row is None:
        row = UnknownLoginName(name_hash=name_hash, failed_logins=0)
        session.add(row)
    return row


def agent_for_session(token: str, now: Optional[datetime] = None) -> Optional[AgentAccount]:
    """The agent of a live session (refreshing its idle expiry and the agent's presence), else None."""
    if not token:
        return None
    now = now or datetime.utcnow()
    idle = timedelta(minutes=get_settings().agent_idle_minutes)
    with session_scope() as session:
        row = session.get(AgentSessionRow, _token_hash(token))
        if row is None:
            return None
        if now >= row.expires_at or now - row.last_used_at >= idle:
            session.delete(row)
            return None
        agent = session.get(Agent, row.agent_id)
        if agent is None or not agent.active:
            return None
        if now - row.last_used_at >= TOUCH_INTERVAL:
            row.last_used_at = now
        if agent.last_seen_at is None or now - agent.last_seen_at >= TOUCH_INTERVAL:
            agent.last_seen_at = now
        return _account(agent)


def logout(token: str, now: Optional[datetime] = None) -> None:
    """End the session; the agent shows as offline at once unless another session of theirs is live."""
    now = now or datetime.utcnow()
    with session_scope() as session:
        row = session.get(AgentSessionRow, _token_hash(token or ""))
        if row is None:
            return
        agent_id = row.agent_id
        session.delete(row)
        session.flush()
        if not session.query(AgentSessionRow.token_hash).filter(
                AgentSessionRow.agent_id == agent_id, AgentSessionRow.expires_at > now).first():
            session.execute(update(Agent).where(Agent.id == agent_id).values(last_seen_at=None))
        session.add(AuditEntry(agent_id=agent_id, action="logout", created_at=now))


def agents_online(language: Optional[str] = None, now: Optional[datetime] = None) -> int:
    """How many agents used the console in the last 2 minutes (only those who serve `language`, if given)."""
    now = now or datetime.utcnow()
    with session_scope() as session:
        skills = [skills for (skills,) in session.query(Agent.skills).filter(
            Agent.active.is_(True), Agent.last_seen_at.isnot(None), Agent.last_seen_at > now - ONLINE_WINDOW)]
    if language is None:
        return len(skills)
    return sum(1 for each in skills if serves((each or "").split(","), language))


def agents_last_seen(agent_ids: Sequence[int]) -> Dict[int, datetime]:
    """When each of these agents last used the console (agents never seen are left out)."""
    with session_scope() as session:
        return {agent_id: seen for agent_id, seen in
                session.query(Agent.id, Agent.last_seen_at).filter(Agent.id.in_(list(agent_ids)))
                if seen is not None}


# --- audit log ---------------------------------------------------------------------------------------

def record_audit(agent_id: Optional[int], action: str, ticket_id: Optional[int] = None,
                 customer_id: Optional[int] = None, detail: str = "") -> None:
    """Write one audit entry; long digit runs in the detail are masked."""
    with session_scope() as session:
        session.add(AuditEntry(agent_id=agent_id, action=action[:40], ticket_id=ticket_id,
                               customer_id=customer_id, detail=mask_digits_in_text(detail)[:300],
                               created_at=datetime.utcnow()))


def audit_log(limit: int = 100) -> List[AuditRecord]:
    """The newest entries first."""
    with session_scope() as session:
        rows = (session.query(AuditEntry, Agent.display_name)
                .outerjoin(Agent, Agent.id == AuditEntry.agent_id)
                .order_by(AuditEntry.id.desc()).limit(limit).all())
        return [AuditRecord(entry.id, entry.agent_id, name or "", entry.action, entry.ticket_id, entry.customer_id,
                            entry.detail or "", entry.created_at) for entry, name in rows]
