"""The human lane: handoff tickets, the agents' queue, the conversation with an agent, call-backs.

A customer asks for a person; `open_handoff_ticket` stores what they already said. When people
are answering (service hours, an agent with the customer's language online) the ticket waits in
the queue and the bot pauses; otherwise it is `unstaffed` at once and the bot offers a call-back
(`schedule_callback`), staying usable.

Ticket life: waiting -> active (take_ticket, one agent wins) -> resolved | handed_back;
unstaffed -> callback. Only waiting and active tickets are "open": their customer's messages go
to the agent (`active_ticket_for_sender`, asked on every message of every channel).

Queue order: senior (65 or older, from the customer's birth date or the caller's number) before
vip (`Customer.tier`) before standard, then who waited longest. Position counts the waiting
tickets in the same language ahead of this one (including it). Estimated wait = position x the
average handling time (taken -> resolved) of the last 20 finished tickets (3 min while there are
none) / the agents online for that language (at least 1) - deliberately simple and pessimistic.

SLA: the first agent reply is due 10 s after the ticket was opened; `sla_breached` flags a later
reply, or no reply yet after 10 s.

Every handoff, seniors' included, is a `handoff` service event for analytics; none is scored as a
bot failure (only `fallback` events are).

Backends: the embedded console (`ConsoleBackend`, this module's functions over our database) is the
default `HandoffBackend`; every caller goes through `handoff_backend()` (the actions open tickets, the
channels' relay writes customer lines and withdraws, the console writes agent lines and resolves; the
console's own take, notes and notices belong to the embedded desk). Another desk can be plugged in by
implementing the same five calls: for a
Chatwoot inbox, `open` creates the conversation through the Agent Bot API in status `pending`
and toggles it to `open` (toggle_status) so it reaches the agents, `customer_message` posts an
incoming message, Chatwoot's webhook calls `agent_message` for agents' replies, its
conversation_resolved event calls `resolve`, and `withdraw` resolves it when the customer starts over.

All times are naive UTC; functions take `now` so tests can move the clock.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Dict, Iterable, List, Optional, Protocol, Sequence, Tuple, Union
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased, defer

from actions.service.constants import LANGUAGES
from actions.service.customers.identity import age_on, is_senior
from actions.service.human_lane.agents import agents_online, get_agent, record_audit, serves
from actions.service.core.db import session_scope
from actions.service.formatting import mask_digits_in_text, mask_phone
from actions.service.core.interactions import FEEDBACK, HANDOFF, RATING, Interaction, record_service_event
from actions.service.core.models import Agent, CallbackTask, Customer, Feedback, HandoffMessage, HandoffTicket
from actions.service.core.settings import get_settings

WAITING, ACTIVE, RESOLVED, HANDED_BACK, UNSTAFFED, CALLBACK, WITHDRAWN = (
    "waiting", "active", "resolved", "handed_back", "unstaffed", "callback", "withdrawn")
OPEN = (WAITING, ACTIVE)
OUTCOMES = (RESOLVED, HANDED_BACK)
SENIOR, VIP, STANDARD = "senior", "vip", "standard"
PRIORITY_RANK = {SENIOR: 0, VIP: 1, STANDARD: 2}
AUTHORS = ("customer", "bot", "agent", "note", "system")
FIRST_RESPONSE_SLA = timedelta(seconds=10)
DEFAULT_HANDLING_TIME = timedelta(minutes=3)
HANDLING_TIME_SAMPLE = 20  # finished tickets averaged for the estimated wait


@dataclass(frozen=True)
class Ticket:
    """What the bot tells the customer after asking for a person."""

    id: int
    reference: str
    position: int = 0  # 1-based place among the waiting tickets of this language; 0 when not queued
    estimated_wait_seconds: int = 0
    staffed: bool = False  # queued for an agent (the bot pauses); False: offer a call-back instead
    priority: str = STANDARD


@dataclass(frozen=True)
class TicketView:
    """A ticket as the console lists it."""

    id: int
    reference: str
    sender_id: str
    channel: str
    language: str
    priority: str
    status: str
    agent_id: Optional[int]
    agent_name: str
    customer_id: Optional[int]
    customer_name: str  # masked: 王**, E**** L*
    created_at: datetime
    waiting_seconds: int  # until taken (or until now while waiting)
    first_response_at: Optional[datetime]
    sla_breached: bool
    summary: str
    last_message_at: Optional[datetime]
    reason: str = ""
    intent: str = ""
    taken_at: Optional[datetime] = None
    resolved_at: Optional[datetime] = None
    promised_wait_seconds: Optional[int] = None  # what the customer was told when queued
    verified_by: str = ""  # the agent who checked the customer's identity in the console, if one did


@dataclass(frozen=True)
class MessageView:
    id: int
    ticket_id: int
    author: str  # customer | bot | agent | note | system
    text: str
    agent_id: Optional[int]
    agent_name: str
    created_at: datetime


@dataclass(frozen=True)
class CustomerCard:
    """Who the customer is, for the agent who took the ticket (the view is audited)."""

    id: int
    name: str
    name_en: str
    phone: str  # masked
    age: Optional[int]
    tier: str
    language: str
    dialect: str


@dataclass(frozen=True)
class TicketDetail:
    ticket: TicketView
    transcript: List[Tuple[str, str]]  # (who, text) from before the handoff, digits masked
    messages: List[MessageView]  # since the handoff, notes included
    customer: Optional[CustomerCard]
    caller_phone: str  # masked


def ticket_reference(ticket_id: int) -> str:
    return f"H{ticket_id:06d}"


# --- service hours and staffing ------------------------------------------------------------------------

def service_open(now: Optional[datetime] = None) -> bool:
    """Whether people answer now (ANXIN_SERVICE_HOURS in ANXIN_SERVICE_TIME_ZONE; default always)."""
    settings = get_settings()
    now = now or datetime.utcnow()
    moment = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    local = moment.astimezone(ZoneInfo(settings.service_time_zone))
    minute = local.hour * 60 + local.minute
    return _open_at(settings.service_hours, minute)


def _open_at(ranges: Sequence[Tuple[int, int]], minute: int) -> bool:
    return any((start <= minute < end) if start <= end else (minute >= start or minute < end)
               for start, end in ranges)


def human_available(language: str, now: Optional[datetime] = None) -> bool:
    """Service hours, and an agent who serves this language online."""
    return service_open(now) and agents_online(language, now=now) > 0


# --- opening a ticket ----------------------------------------------------------------------------------

def _age(birth_date: Optional[date], today: date) -> Optional[int]:
    return age_on(birth_date, today) if birth_date else None


def _phone_candidates(phone: str) -> List[str]:
    """The forms a caller's number may be stored in: 13800000001 for +86 138..., 852... as is."""
    digits = re.sub(r"\D", "", phone or "")
    candidates = [digits]
    if digits.startswith("86") and len(digits) == 13:
        candidates.append(digits[2:])
    return [c for c in candidates if c]


def _priority(session, customer_id: Optional[int], caller_phone: Optional[str], today: date) -> str:
    people = []
    if customer_id:
        people.append(session.get(Customer, customer_id))
    if caller_phone:
        people += session.query(Customer).filter(Customer.phone.in_(_phone_candidates(caller_phone))).all()
    people = [p for p in people if p is not None]
    if any(is_senior(p.birth_date, today) for p in people):
        return SENIOR
    if any(p.tier == VIP for p in people):
        return VIP
    return STANDARD


def open_handoff_ticket(interaction: Interaction, reason: str, transcript: Iterable[Tuple[str, str]],
                        summary: str = "", caller_phone: Optional[str] = None,
                        now: Optional[datetime] = None) -> Ticket:
    """Store the request with the conversation so far (long digit runs masked) and queue it if people answer.

    One ticket per sender: asking again updates the open (or unstaffed) one with the newer
    transcript. An unstaffed ticket that can now be staffed joins the queue from now; a waiting
    one nobody can answer any more leaves it (unstaffed), so the bot never pauses for nobody.
    """
    now = now or datetime.utcnow()
    lines = "\n".join(f"{who}: {mask_digits_in_text(text)}" for who, text in transcript if text)
    staffable = human_available(interaction.language, now)
    with session_scope() as session:
        ticket = (session.query(HandoffTicket)
                  .filter(HandoffTicket.sender_id == interaction.sender_id,
                          HandoffTicket.status.in_(OPEN + (UNSTAFFED,)))
                  .order_by(HandoffTicket.id.desc()).with_for_update().first())
        if ticket is None:
            ticket = HandoffTicket(sender_id=interaction.sender_id, reason=reason, created_at=now,
                                   status=WAITING if staffable else UNSTAFFED)
            session.add(ticket)
        elif ticket.status == UNSTAFFED and staffable:
            ticket.status, ticket.created_at = WAITING, now
        elif ticket.status == WAITING and not staffable:
            ticket.status = UNSTAFFED
        ticket.customer_id = interaction.customer_id or ticket.customer_id
        ticket.channel, ticket.language, ticket.intent = interaction.channel, interaction.language, interaction.intent
        ticket.transcript = lines
        ticket.summary = mask_digits_in_text(summary) or ticket.summary
        if caller_phone:
            ticket.caller_phone = mask_phone(caller_phone)
        # A repeated request without the caller's number keeps the senior priority the number gave.
        ticket.priority = min(_priority(session, ticket.customer_id, caller_phone, now.date()),
                              ticket.priority or STANDARD, key=PRIORITY_RANK.__getitem__)
        ticket.updated_at = now
        session.flush()
        ticket_id, status, priority = ticket.id, ticket.status, ticket.priority
        promised = ticket.promised_wait_seconds if status == WAITING else None
    record_service_event(interaction, HANDOFF, reason)
    position, wait = position_in_queue(ticket_id, now=now)
    if status == WAITING and promised is None:  # the first time this ticket is queued: what we promise
        promise_wait(ticket_id, wait)
    return Ticket(ticket_id, ticket_reference(ticket_id), position, wait, status in OPEN, priority)


def active_ticket_for_sender(sender_id: str) -> Optional[TicketView]:
    """The sender's waiting or active ticket, if any (one indexed lookup: asked on every message)."""
    with session_scope() as session:
        row = (session.query(HandoffTicket.id)
               .filter(HandoffTicket.sender_id == sender_id, HandoffTicket.status.in_(OPEN))
               .order_by(HandoffTicket.id.desc()).first())
    return get_ticket(row[0]) if row else None


# --- the queue -----------------------------------------------------------------------------------------

def _queue_key(priority: Optional[str], created_at: datetime, ticket_id: int):
    return PRIORITY_RANK.get(priority or STANDARD, PRIORITY_RANK[STANDARD]), created_at, ticket_id


def mask_name(name: str) -> str:
    """王建国 -> 王**, Emily Li -> E**** L*: enough to greet the right person, not to identify them."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in (name or "").split())


def _view(ticket: HandoffTicket, name: Optional[str], name_en: Optional[str], agent_name: Optional[str],
          last_message_at: Optional[datetime], now: datetime, verifier_name: Optional[str] = None) -> TicketView:
    waited_until = ticket.taken_at or (ticket.resolved_at if ticket.status not in OPEN else None) or now
    first_reply_due = ticket.created_at + FIRST_RESPONSE_SLA
    breached = (ticket.first_response_at > first_reply_due if ticket.first_response_at is not None
                else now > first_reply_due and ticket.status in OPEN)
    shown = name_en if ticket.language == "en" and name_en else name
    return TicketView(
        id=ticket.id, reference=ticket_reference(ticket.id), sender_id=ticket.sender_id or "",
        channel=ticket.channel or "", language=ticket.language or "", priority=ticket.priority or STANDARD,
        status=ticket.status, agent_id=ticket.agent_id, agent_name=agent_name or "",
        customer_id=ticket.customer_id, customer_name=mask_name(shown or ""), created_at=ticket.created_at,
        waiting_seconds=max(0, int((waited_until - ticket.created_at).total_seconds())),
        first_response_at=ticket.first_response_at, sla_breached=bool(breached), summary=ticket.summary or "",
        last_message_at=last_message_at, reason=ticket.reason or "", intent=ticket.intent or "",
        taken_at=ticket.taken_at, resolved_at=ticket.resolved_at, promised_wait_seconds=ticket.promised_wait_seconds,
        verified_by=verifier_name or "",
    )


def _ticket_rows(session, *conditions):
    verifier = aliased(Agent)
    return (session.query(HandoffTicket, Customer.name, Customer.name_en, Agent.display_name, verifier.display_name)
            .options(defer(HandoffTicket.transcript))  # long, and only ticket_detail shows it
            .outerjoin(Customer, Customer.id == HandoffTicket.customer_id)
            .outerjoin(Agent, Agent.id == HandoffTicket.agent_id)
            .outerjoin(verifier, verifier.id == HandoffTicket.verified_by_agent_id)
            .filter(*conditions).all())


def _last_message_times(session, *conditions) -> Dict[int, datetime]:
    return dict(session.query(HandoffMessage.ticket_id, func.max(HandoffMessage.created_at))
                .join(HandoffTicket, HandoffTicket.id == HandoffMessage.ticket_id)
                .filter(*conditions).group_by(HandoffMessage.ticket_id).all())


def queue(language: Union[None, str, Sequence[str]] = None, now: Optional[datetime] = None) -> List[TicketView]:
    """Open tickets: the waiting ones in queue order (senior > vip > standard, then longest wait),
    then the active ones (oldest taken first).

    `language`: None for all (supervisors), a language code, or an agent's skills - then only
    tickets those skills can serve.
    """
    now = now or datetime.utcnow()
    skills = None if language is None else ((language,) if isinstance(language, str) else tuple(language))
    condition = HandoffTicket.status.in_(OPEN)
    with session_scope() as session:
        rows = _ticket_rows(session, condition)
        last = _last_message_times(session, condition)
    views = [_view(ticket, name, name_en, agent, last.get(ticket.id), now, verifier)
             for ticket, name, name_en, agent, verifier in rows
             if skills is None or serves(skills, ticket.language or "")]
    waiting = sorted((v for v in views if v.status == WAITING),
                     key=lambda v: _queue_key(v.priority, v.created_at, v.id))
    active = sorted((v for v in views if v.status == ACTIVE), key=lambda v: (v.taken_at or v.created_at, v.id))
    return waiting + active


@dataclass(frozen=True)
class QueueSummary:
    """One language's queue at a glance, for supervisors."""

    language: str
    waiting: int
    active: int
    longest_wait_seconds: int
    sla_breaches: int  # open tickets whose first reply is late or overdue
    agents_online: int


def queue_summary(now: Optional[datetime] = None) -> List[QueueSummary]:
    """Every language's waiting and active counts, longest wait, SLA breaches and agents online."""
    now = now or datetime.utcnow()
    views = queue(now=now)
    languages = list(LANGUAGES) + sorted({v.language for v in views} - set(LANGUAGES))
    summaries = []
    for language in languages:
        mine = [v for v in views if v.language == language]
        waiting = [v for v in mine if v.status == WAITING]
        summaries.append(QueueSummary(
            language, len(waiting), len(mine) - len(waiting), max((v.waiting_seconds for v in waiting), default=0),
            sum(1 for v in mine if v.sla_breached), agents_online(language, now=now)))
    return summaries


def get_ticket(ticket_id: int, now: Optional[datetime] = None) -> Optional[TicketView]:
    """One ticket as the console lists it, whatever its status."""
    now = now or datetime.utcnow()
    with session_scope() as session:
        rows = _ticket_rows(session, HandoffTicket.id == ticket_id)
        last = _last_message_times(session, HandoffTicket.id == ticket_id)
    if not rows:
        return None
    ticket, name, name_en, agent, verifier = rows[0]
    return _view(ticket, name, name_en, agent, last.get(ticket.id), now, verifier)


def _average_handling_seconds(session) -> float:
    finished = (session.query(HandoffTicket.taken_at, HandoffTicket.resolved_at)
                .filter(HandoffTicket.status.in_(OUTCOMES), HandoffTicket.taken_at.isnot(None),
                        HandoffTicket.resolved_at.isnot(None))
                # updated_at is the resolution time of a closed ticket, and it is indexed.
                .order_by(HandoffTicket.updated_at.desc()).limit(HANDLING_TIME_SAMPLE).all())
    if not finished:
        return DEFAULT_HANDLING_TIME.total_seconds()
    return sum(max(0.0, (done - taken).total_seconds()) for taken, done in finished) / len(finished)


def queue_positions(now: Optional[datetime] = None) -> Dict[int, Tuple[int, int]]:
    """Every waiting ticket's (1-based place among the waiting tickets of its language, estimated wait
    in seconds), in one pass: for the queue updates sent to everyone waiting."""
    with session_scope() as session:
        waiting = session.query(HandoffTicket.id, HandoffTicket.language, HandoffTicket.priority,
                                HandoffTicket.created_at).filter(HandoffTicket.status == WAITING).all()
        handling = _average_handling_seconds(session)
    by_language: Dict[str, list] = {}
    for ticket_id, language, priority, created_at in waiting:
        by_language.setdefault(language, []).append(_queue_key(priority, created_at, ticket_id))
    positions = {}
    for language, keys in by_language.items():
        online = max(1, agents_online(language, now=now))
        for position, (_, _, ticket_id) in enumerate(sorted(keys), start=1):
            positions[ticket_id] = (position, int(math.ceil(position * handling / online)))
    return positions


def claim_place_updates(every: timedelta, now: Optional[datetime] = None) -> List[Tuple[TicketView, int, int]]:
    """Waiting tickets whose customer should hear their place now, as (ticket, position, wait seconds).

    Due: the customer was last told at least `every` ago, whether the place changed or not (a
    customer left in silence feels forgotten; the wait estimate is new each time). A ticket never
    told before is only noted (the bot told the first place at handoff). Each update is
    claimed by a conditional UPDATE before it is returned, so of two notifiers on two servers only one
    gets it: a customer hears one update, not two.
    """
    now = now or datetime.utcnow()
    places = queue_positions(now)
    if not places:
        return []
    due_ids = []
    with session_scope() as session:
        rows = (session.query(HandoffTicket.id, HandoffTicket.place_told, HandoffTicket.place_told_at,
                              HandoffTicket.created_at)
                .filter(HandoffTicket.id.in_(places), HandoffTicket.status == WAITING).all())
        for ticket_id, told, told_at, queued_at in rows:
            position = places[ticket_id][0]
            first_sight = told is None or told_at is None
            if not first_sight and now - told_at < every:
                continue
            claimed = session.execute(
                update(HandoffTicket)
                .where(HandoffTicket.id == ticket_id,
                       HandoffTicket.place_told_at.is_(None) if told_at is None else HandoffTicket.place_told_at == told_at)
                # first sight: the place was told at handoff, so the next update is due an interval after it
                .values(place_told=position, place_told_at=min(now, queued_at) if first_sight else now)
                .execution_options(synchronize_session=False))
            if claimed.rowcount == 1 and not first_sight:
                due_ids.append(ticket_id)
    due = []
    for ticket_id in due_ids:
        view = get_ticket(ticket_id, now=now)
        if view is not None:
            due.append((view, *places[ticket_id]))
    return due


def position_in_queue(ticket_id: int, now: Optional[datetime] = None) -> Tuple[int, int]:
    """(1-based place among the waiting tickets of its language, estimated wait in seconds); (0, 0) if not waiting."""
    return queue_positions(now).get(ticket_id, (0, 0))


def queue_version() -> str:
    """A cheap marker that changes whenever a ticket or a message is written (the console polls it)."""
    with session_scope() as session:
        updated, message = session.execute(select(
            select(func.max(HandoffTicket.updated_at)).scalar_subquery(),
            select(func.max(HandoffMessage.id)).scalar_subquery())).one()
    return f"{updated.isoformat() if updated else '-'}/{message or 0}"


# --- taking, talking, resolving ------------------------------------------------------------------------

def take_ticket(ticket_id: int, agent_id: int, now: Optional[datetime] = None) -> bool:
    """Give a waiting ticket to this agent. One atomic UPDATE: of two agents at once, exactly one wins."""
    now = now or datetime.utcnow()
    with session_scope() as session:
        result = session.execute(
            update(HandoffTicket)
            .where(HandoffTicket.id == ticket_id, HandoffTicket.status == WAITING)
            .values(status=ACTIVE, agent_id=agent_id, taken_at=now, updated_at=now)
            .execution_options(synchronize_session=False))
        won = result.rowcount == 1
    if won:
        record_audit(agent_id, "take_ticket", ticket_id=ticket_id)
    return won


def add_message(ticket_id: int, author: str, text: str, agent_id: Optional[int] = None,
                now: Optional[datetime] = None) -> int:
    """Store one line of the conversation (7+ digit runs masked); the first agent line is the first response."""
    if author not in AUTHORS:
        raise ValueError(f"author must be one of {', '.join(AUTHORS)}")
    now = now or datetime.utcnow()
    with session_scope() as session:
        if session.get(HandoffTicket, ticket_id) is None:
            raise ValueError(f"no ticket {ticket_id}")
        message = HandoffMessage(ticket_id=ticket_id, author=author, text=mask_digits_in_text(text or ""),
                                 agent_id=agent_id, created_at=now)
        session.add(message)
        session.flush()
        if author == "agent":
            session.execute(update(HandoffTicket)
                            .where(HandoffTicket.id == ticket_id, HandoffTicket.first_response_at.is_(None))
                            .values(first_response_at=now, updated_at=now)
                            .execution_options(synchronize_session=False))
        return message.id


def ticket_messages(ticket_id: int, after_id: int = 0) -> List[MessageView]:
    """The ticket's lines since the handoff, oldest first; only those after `after_id` (for polling)."""
    with session_scope() as session:
        rows = (session.query(HandoffMessage, Agent.display_name)
                .outerjoin(Agent, Agent.id == HandoffMessage.agent_id)
                .filter(HandoffMessage.ticket_id == ticket_id, HandoffMessage.id > after_id)
                .order_by(HandoffMessage.id).all())
    return [MessageView(m.id, m.ticket_id, m.author, m.text, m.agent_id, name or "", m.created_at)
            for m, name in rows]


def _transcript_lines(text: str) -> List[Tuple[str, str]]:
    lines: List[Tuple[str, str]] = []
    for line in (text or "").split("\n"):
        who, sep, said = line.partition(": ")
        if sep and who in AUTHORS:
            lines.append((who, said))
        elif lines:  # a message that had a line break in it
            lines[-1] = (lines[-1][0], f"{lines[-1][1]}\n{line}")
        elif line:
            lines.append(("customer", line))
    return lines


def ticket_detail(ticket_id: int, viewer_id: Optional[int] = None,
                  now: Optional[datetime] = None) -> Optional[TicketDetail]:
    """Everything the agent needs so the customer never repeats themselves; a viewer's look is audited."""
    view = get_ticket(ticket_id, now=now)
    if view is None:
        return None
    today = (now or datetime.utcnow()).date()
    with session_scope() as session:
        ticket = session.get(HandoffTicket, ticket_id)
        transcript, caller = _transcript_lines(ticket.transcript), ticket.caller_phone or ""
        person = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
        card = None if person is None else CustomerCard(
            person.id, person.name or "", person.name_en or "", mask_phone(person.phone or ""),
            _age(person.birth_date, today), person.tier or STANDARD, person.language or "", person.dialect or "")
    if viewer_id is not None:
        record_audit(viewer_id, "view_ticket", ticket_id=ticket_id, customer_id=view.customer_id)
    return TicketDetail(view, transcript, ticket_messages(ticket_id), card, caller)


def resolve_ticket(ticket_id: int, agent_id: int, outcome: str = RESOLVED,
                   now: Optional[datetime] = None) -> Optional[TicketView]:
    """Close an open ticket as resolved or handed back to the bot; None if it was not open.

    An agent closes their own ticket (or a waiting one); a supervisor any open ticket.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    now = now or datetime.utcnow()
    agent = get_agent(agent_id)
    if agent is None:
        return None
    conditions = [HandoffTicket.id == ticket_id, HandoffTicket.status.in_(OPEN)]
    if not agent.is_supervisor:
        conditions.append((HandoffTicket.agent_id.is_(None)) | (HandoffTicket.agent_id == agent_id))
    with session_scope() as session:
        result = session.execute(
            update(HandoffTicket).where(*conditions)
            .values(status=outcome, resolved_at=now, updated_at=now,
                    agent_id=func.coalesce(HandoffTicket.agent_id, agent_id))
            .execution_options(synchronize_session=False))
        done = result.rowcount == 1
    if not done:
        return None
    record_audit(agent_id, outcome, ticket_id=ticket_id)
    return get_ticket(ticket_id, now=now)


def promise_wait(ticket_id: int, wait_seconds: int) -> None:
    """Remember the wait the customer is told now (at least a minute, as the sentence says)."""
    with session_scope() as session:
        session.execute(update(HandoffTicket).where(HandoffTicket.id == ticket_id)
                        .values(promised_wait_seconds=max(60, int(wait_seconds)))
                        .execution_options(synchronize_session=False))


def withdraw_ticket(ticket_id: int, now: Optional[datetime] = None) -> bool:
    """The customer started over (/restart) while waiting or talking to a person: the ticket closes."""
    now = now or datetime.utcnow()
    with session_scope() as session:
        result = session.execute(
            update(HandoffTicket).where(HandoffTicket.id == ticket_id, HandoffTicket.status.in_(OPEN))
            .values(status=WITHDRAWN, resolved_at=now, updated_at=now)
            .execution_options(synchronize_session=False))
        return result.rowcount == 1


# --- call-backs ----------------------------------------------------------------------------------------

def schedule_callback(interaction: Interaction, due_at: datetime, reason: str = "handoff",
                      phone: Optional[str] = None, now: Optional[datetime] = None) -> CallbackTask:
    """Book a call back (a task staff see in `staff_cli callbacks`) at `due_at` (naive UTC).

    The number is `phone`, else the verified customer's. Without either the task names the chat
    (channel:sender) so staff can write back there. The sender's unstaffed ticket, if any, becomes
    `callback` and is named as the subject.
    """
    now = now or datetime.utcnow()
    with session_scope() as session:
        customer = session.get(Customer, interaction.customer_id) if interaction.customer_id else None
        ticket = (session.query(HandoffTicket)
                  .filter(HandoffTicket.sender_id == interaction.sender_id, HandoffTicket.status == UNSTAFFED)
                  .order_by(HandoffTicket.id.desc()).first())
        subject = ticket_reference(ticket.id) if ticket else ""
        if ticket is not None:
            ticket.status, ticket.updated_at = CALLBACK, now
        number = re.sub(r"[^\d+]", "", phone or "") or (customer.phone if customer else "")
        if not number:
            subject = f"{subject} {interaction.channel}:{interaction.sender_id}".strip()
        task = CallbackTask(customer_id=interaction.customer_id, phone=number[:20], reason=reason[:60],
                            subject=subject[:60], due_at=due_at, status="open", created_at=now)
        session.add(task)
        session.flush()
        return task


# --- backends ------------------------------------------------------------------------------------------

class HandoffBackend(Protocol):
    """Where handed-off conversations go: the embedded console by default (see the module docstring)."""

    def open(self, interaction: Interaction, reason: str, transcript: Iterable[Tuple[str, str]],
             summary: str = "", caller_phone: Optional[str] = None) -> Ticket: ...

    def customer_message(self, ticket_id: int, text: str) -> int: ...

    def agent_message(self, ticket_id: int, agent_id: int, text: str) -> int: ...

    def resolve(self, ticket_id: int, agent_id: int, outcome: str = RESOLVED) -> Optional[TicketView]: ...

    def withdraw(self, ticket_id: int, reason: str = "customer restarted the conversation") -> bool: ...


class ConsoleBackend:
    """The embedded default: tickets and messages in our own database, answered in the built-in console."""

    def open(self, interaction: Interaction, reason: str, transcript: Iterable[Tuple[str, str]],
             summary: str = "", caller_phone: Optional[str] = None) -> Ticket:
        return open_handoff_ticket(interaction, reason, transcript, summary=summary, caller_phone=caller_phone)

    def customer_message(self, ticket_id: int, text: str) -> int:
        return add_message(ticket_id, "customer", text)

    def agent_message(self, ticket_id: int, agent_id: int, text: str) -> int:
        return add_message(ticket_id, "agent", text, agent_id=agent_id)

    def resolve(self, ticket_id: int, agent_id: int, outcome: str = RESOLVED) -> Optional[TicketView]:
        return resolve_ticket(ticket_id, agent_id, outcome)

    def withdraw(self, ticket_id: int, reason: str = "customer restarted the conversation") -> bool:
        withdrawn = withdraw_ticket(ticket_id)
        if withdrawn:
            add_message(ticket_id, "system", reason)
        return withdrawn


def handoff_backend() -> HandoffBackend:
    """The backend in use: the embedded console (a Chatwoot backend would be chosen here from settings).

    Every caller opens tickets and writes customer and agent lines through it (the handoff and
    account actions, the channels' relay, the console), so another desk is plugged in here alone.
    """
    return ConsoleBackend()


# --- feedback ------------------------------------------------------------------------------------------

def record_feedback(interaction: Interaction, text: str, rating: Optional[int] = None) -> int:
    """Store free feedback or a 1-5 rating (with its optional comment)."""
    with session_scope() as session:
        feedback = Feedback(text=mask_digits_in_text(text), rating=rating, **interaction.columns())
        session.add(feedback)
        session.flush()
        feedback_id = feedback.id
    record_service_event(interaction, RATING if rating is not None else FEEDBACK,
                         str(rating) if rating is not None else text)
    return feedback_id
