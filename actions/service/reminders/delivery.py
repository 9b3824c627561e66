"""Sending recorded reminders: claim, compose one message per customer, deliver through an outbox.

Claiming. A sender claims all of one customer's due reminders with one
`UPDATE reminders SET status='claimed', lease_owner=me, lease_expires_at=now+lease
 WHERE customer_id=? AND (status='pending' AND next_attempt_at<=now OR status='claimed' AND lease_expires_at<now)`.
On SQLite writers are serialised; on PostgreSQL the second updater waits for the row lock and then
re-checks the WHERE, so two processes never both own a row. A lease that expires (the owner died)
lets another process take over.

Idempotency with the channel (the decision). Every message and every (message, channel, address)
delivery has an idempotency key with a UNIQUE constraint, written before anything is sent:
- Local channels (web notice, outbound-call request) are rows in the same database: the notice is
  inserted and the delivery marked sent in one transaction, keyed by the delivery key. Exactly once.
- Telegram has no idempotency key in the Bot API and no way to ask "did this arrive?". The delivery
  is marked `sending` and committed before the HTTP call. A sender that finds a delivery still
  `sending` (its owner died between send and mark-sent) marks it `unknown` and does NOT send again:
  for the customer a missing push is better than a duplicate, and the same text still waits as a
  web notice (and as a call request for seniors), so nothing is lost. Failures Telegram answered
  (429, 5xx) and failed connections never reached Telegram: those are retried with backoff. A
  timeout after the request left might have been delivered: treated like a crash (`unknown`).
Plain Python, no Rasa.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Protocol, Sequence

from sqlalchemy import and_, or_, text

from actions.service.messaging import telegram_client
from actions.service.customers.channel_links import linked_addresses
from actions.service.core.db import session_scope
from actions.service.policies.documents import DocumentError, calendar_link
from actions.service.customers.identity import is_senior
from actions.service.core.models import (
    REMINDER_OPEN_SQL, Customer, CustomerNotice, OutboundCallRequest, Policy, Reminder, ReminderDelivery,
    ReminderMessage,
)
from actions.service.policies.payments import PaymentError, create_payment_order
from actions.service.reminders.preferences import (
    PHONE, TELEGRAM, WEB, ReminderPreferences, is_quiet_time, next_morning, preferences_in,
)
from actions.service.language import customer_language
from actions.service.reminders.texts import DueItem, reminder_text
from actions.service.reminders.due import REMINDED_STATUSES, business_day, utc_naive
from actions.service.core.settings import get_settings

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# Waits before retry n (1-based); after the last one the reminder is marked failed for staff to see.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
# The combined-payment link in a reminder opens the checkout with this method preselected.
REMINDER_PAYMENT_METHOD = "wechat_pay"
CUSTOMERS_PER_BATCH = 500
# A round goes on batch after batch until nothing claimable is left, up to this many (the first
# day on a large book has tens of thousands of customers to remind).
MAX_BATCHES_PER_ROUND = 200

# Delivery states.
PENDING, SENDING, SENT, FAILED, REJECTED, UNKNOWN = "pending", "sending", "sent", "failed", "rejected", "unknown"
FINAL = (SENT, REJECTED, UNKNOWN)


# --- channels ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One message on its way to one address."""

    delivery_key: str
    customer_id: int
    address: str
    language: str
    body: str
    call_script: str
    not_before: datetime


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | failed (retry later) | rejected (never retry) | unknown (may have arrived)
    external_id: str = ""
    error: str = ""
    retry_after_seconds: Optional[int] = None


class ReminderChannel(Protocol):
    """A way to reach a customer. `local` channels write into the business database inside the
    caller's transaction (exactly once); others talk to the outside world (see module docstring)."""

    name: str
    local: bool

    def deliver(self, outgoing: Outgoing, session=None) -> Outcome: ...


class TelegramChannel:
    """A message to the customer's linked Telegram chat, through the Bot API."""

    name, local = TELEGRAM, False

    def deliver(self, outgoing: Outgoing, session=None) -> Outcome:
        result = telegram_client.send_message(outgoing.address, outgoing.body)
        if result.ok:
            return Outcome(SENT, external_id=str(result.message_id or ""))
        if result.error_code is None and result.error.startswith("network error") \
                and not _never_connected(result.error):
            return Outcome(UNKNOWN, error=result.error[:300])
        if (result.error_code == 429 or (result.error_code or 0) >= 500
                or (result.error_code is None and result.error != telegram_client.NOT_CONFIGURED)):
            return Outcome(FAILED, error=result.error[:300], retry_after_seconds=result.retry_after)
        return Outcome(REJECTED, error=result.error[:300])  # blocked, chat not found, no bot token


def _never_connected(error: str) -> bool:
    """Connection refused / DNS / connect timeout: the request never reached Telegram."""
    return any(marker in error for marker in ("ConnectTimeout", "NewConnectionError", "Failed to establish",
                                              "Name or service not known", "Connection refused"))


class WebNoticeChannel:
    """A notice shown in the web chat on the customer's next visit (actions/service/reminders/notices.py)."""

    name, local = WEB, True

    def deliver(self, outgoing: Outgoing, session=None) -> Outcome:
        session.add(CustomerNotice(delivery_key=outgoing.delivery_key, customer_id=outgoing.customer_id,
                                   kind="reminder", text=outgoing.body))
        return Outcome(SENT)


class CallRequestChannel:
    """A request for the voice gateway or staff to ring a senior customer."""

    name, local = PHONE, True

    def deliver(self, outgoing: Outgoing, session=None) -> Outcome:
        customer = session.get(Customer, outgoing.customer_id)
        session.add(OutboundCallRequest(
            delivery_key=outgoing.delivery_key, customer_id=outgoing.customer_id, language=outgoing.language,
            dialect=customer.dialect if customer else "", script=outgoing.call_script,
            not_before=outgoing.not_before))
        return Outcome(SENT)


def default_channels() -> Dict[str, ReminderChannel]:
    return {c.name: c for c in (TelegramChannel(), WebNoticeChannel(), CallRequestChannel())}


# --- one round -----------------------------------------------------------------------------------


@dataclass
class DispatchReport:
    customers: int = 0
    messages: int = 0
    deliveries: Dict[str, int] = field(default_factory=dict)  # "telegram:sent" -> count
    held_for_quiet_hours: int = 0
    cancelled: int = 0
    retried: int = 0

    def count(self, channel: str, status: str) -> None:
        key = f"{channel}:{status}"
        self.deliveries[key] = self.deliveries.get(key, 0) + 1


def _claimable(now: datetime):
    return and_(text(f"reminders.{REMINDER_OPEN_SQL}"),  # the partial index's predicate, word for word
                or_(and_(Reminder.status == "pending", Reminder.next_attempt_at <= now),
                    and_(Reminder.status == "claimed", Reminder.lease_expires_at < now)))


def customers_with_due_reminders(now: datetime, limit: int = CUSTOMERS_PER_BATCH) -> List[int]:
    with session_scope() as session:
        rows = (session.query(Reminder.customer_id).filter(_claimable(now)).distinct()
                .order_by(Reminder.customer_id).limit(limit).all())
        return [r[0] for r in rows]


def claim_customer(customer_id: int, owner: str, now: datetime) -> List[int]:
    """Atomically take every due reminder of the customer; [] when another sender holds them."""
    with session_scope() as session:
        claimed = (session.query(Reminder)
                   .filter(Reminder.customer_id == customer_id, _claimable(now))
                   .update({Reminder.status: "claimed", Reminder.lease_owner: owner,
                            Reminder.lease_expires_at: now + LEASE}, synchronize_session=False))
        if not claimed:
            return []
        return [r[0] for r in _owned(session, customer_id, owner).with_entities(Reminder.id)
                .order_by(Reminder.id).all()]


def dispatch_due(now: Optional[datetime] = None, owner: str = "local",
                 channels: Optional[Dict[str, ReminderChannel]] = None) -> DispatchReport:
    """Send every due reminder this process can claim, one message per customer."""
    now = utc_naive(now)
    channels = channels or default_channels()
    report = DispatchReport()
    # Every customer handled leaves the claimable set (sent, held, retried later, or claimed by
    # us or another sender), so the batches end.
    for _ in range(MAX_BATCHES_PER_ROUND):
        batch = customers_with_due_reminders(now)
        if not batch:
            break
        for customer_id in batch:
            if not claim_customer(customer_id, owner, now):
                continue
            report.customers += 1
            try:
                _send_to_customer(customer_id, owner, now, channels, report)
            except Exception:  # one customer's trouble must not stop the others; the lease runs out
                logger.exception("reminders for customer %s failed; they will be retried", customer_id)
    return report


@dataclass(frozen=True)
class _Claim:
    reminder_ids: List[int]
    new_ids: List[int]  # without a message yet
    message_ids: List[int]


def _owned(session, customer_id: int, owner: str):
    return session.query(Reminder).filter(Reminder.customer_id == customer_id, text(f"reminders.{REMINDER_OPEN_SQL}"),
                                          Reminder.status == "claimed", Reminder.lease_owner == owner)


def _release(rows: Sequence[Reminder], **values) -> None:
    for row in rows:
        row.lease_owner, row.lease_expires_at = None, None
        for key, value in values.items():
            setattr(row, key, value)


def _review_claim(customer_id: int, owner: str, now: datetime, report: DispatchReport) -> Optional[_Claim]:
    """Drop what is no longer due (paid, lapsed, opted out), hold everything in quiet hours."""
    with session_scope() as session:
        rows = _owned(session, customer_id, owner).all()
        preferences = preferences_in(session, customer_id)
        live = []
        for row in rows:
            policy = session.get(Policy, row.policy_id)
            obsolete = (policy is None or policy.next_due_date != row.due_date
                        or policy.status not in REMINDED_STATUSES)
            if (obsolete or preferences.opted_out) and row.message_id is None:
                _release([row], status="cancelled")
                report.cancelled += 1
            else:
                live.append(row)
        if live and is_quiet_time(now, preferences.time_zone):
            _release(live, status="pending", next_attempt_at=next_morning(now, preferences.time_zone))
            report.held_for_quiet_hours += len(live)
            return None
        if not live:
            return None
        return _Claim([r.id for r in live], [r.id for r in live if r.message_id is None],
                      sorted({r.message_id for r in live if r.message_id is not None}))


def _send_to_customer(customer_id: int, owner: str, now: datetime, channels: Dict[str, ReminderChannel],
                      report: DispatchReport) -> None:
    claim = _review_claim(customer_id, owner, now, report)
    if claim is None:
        return
    message_ids = list(claim.message_ids)
    if claim.new_ids:
        message_id = _compose_message(customer_id, owner, claim.new_ids, now)
        if message_id is None:
            return
        message_ids.append(message_id)
        report.messages += 1
    retry_after = None
    for message_id in message_ids:
        retry_after = _deliver_message(message_id, channels, now, report) or retry_after
    _finish(customer_id, owner, message_ids, now, retry_after, report)


def _message_key(reminder_ids: Sequence[int]) -> str:
    return "msg-" + hashlib.sha256(",".join(map(str, sorted(reminder_ids))).encode()).hexdigest()[:40]


def _compose_message(customer_id: int, owner: str, reminder_ids: List[int], now: datetime) -> Optional[int]:
    """Render one message for the claimed reminders, with its payment and calendar links and one
    outbox row per channel address. The links are made first, in their own transactions (SQLite
    allows one writer: holding ours open while they write would deadlock)."""
    grace = get_settings().grace_period_days
    with session_scope() as session:
        customer = session.get(Customer, customer_id)
        rows = session.query(Reminder).filter(Reminder.id.in_(reminder_ids)).all()
        policies = {p.id: p for p in session.query(Policy).filter(
            Policy.id.in_([r.policy_id for r in rows])).all()}
        today = business_day(now)
        items = {}
        for row in rows:  # several stages of one policy (lead_3 and before_7) make one line
            p = policies[row.policy_id]
            items[p.number] = DueItem(p.number, p.product_name, p.product_name_en, p.premium, row.due_date,
                                      (row.due_date - today).days,
                                      p.bank_name, p.account_last4)
        language = customer_language(customer.language, customer.dialect)
        name = customer.name_en if language == "en" else customer.name
        senior = is_senior(customer.birth_date, today)
        preferences = preferences_in(session, customer_id)
    numbers = sorted(items)
    try:
        order = create_payment_order(customer_id, numbers, REMINDER_PAYMENT_METHOD)
        calendar_url = calendar_link(customer_id, numbers, language)
    except (PaymentError, DocumentError):
        logger.exception("could not make the links of a reminder for customer %s", customer_id)
        return None
    text = reminder_text(name, language, list(items.values()), order.pay_url, calendar_url, grace)
    targets = _targets(customer_id, preferences, senior)
    key = _message_key(reminder_ids)
    with session_scope() as session:
        existing = session.query(ReminderMessage).filter_by(idempotency_key=key).first()
        if existing is None:
            existing = ReminderMessage(idempotency_key=key, customer_id=customer_id, language=language,
                                       body=text.body, call_script=text.call_script,
                                       payment_reference=order.reference)
            session.add(existing)
            session.flush()
            for channel, address in targets:
                session.add(ReminderDelivery(idempotency_key=f"{key}:{channel}:{address}"[:100],
                                             message_id=existing.id, channel=channel, address=address))
        owned = _owned(session, customer_id, owner).filter(Reminder.id.in_(reminder_ids)).all()
        if len(owned) != len(reminder_ids):  # our lease ran out while composing: leave it to the new owner
            raise RuntimeError("lease lost while composing a reminder")
        for row in owned:
            row.message_id = existing.id
        return existing.id


def _targets(customer_id: int, preferences: ReminderPreferences, senior: bool) -> List[tuple]:
    """(channel, address) pairs: linked Telegram chats, the web notice, a call for seniors (and for
    anyone who asked to be called).

    The web notice is always kept: it is not a push, only what the customer sees when they come,
    and it is the copy that survives a lost Telegram message.
    """
    targets = []
    if preferences.allows(TELEGRAM):
        targets += [(TELEGRAM, address) for address in linked_addresses(customer_id, TELEGRAM)]
    targets.append((WEB, str(customer_id)))
    if (senior and preferences.allows(PHONE)) or PHONE in preferences.channels:
        targets.append((PHONE, str(customer_id)))
    return targets


def _deliver_message(message_id: int, channels: Dict[str, ReminderChannel], now: datetime,
                     report: DispatchReport) -> Optional[int]:
    """Deliver every open outbox row of the message; returns Telegram's longest retry_after, if any."""
    with session_scope() as session:
        message = session.get(ReminderMessage, message_id)
        deliveries = (session.query(ReminderDelivery).filter_by(message_id=message_id)
                      .filter(ReminderDelivery.status.notin_(FINAL)).order_by(ReminderDelivery.id).all())
        snapshot = [(d.id, d.channel, d.address, d.status, d.idempotency_key) for d in deliveries]
        body, script, language, customer_id = message.body, message.call_script, message.language, message.customer_id
    retry_after = None
    for delivery_id, channel_name, address, status, key in snapshot:
        channel = channels.get(channel_name)
        outgoing = Outgoing(key, customer_id, address, language, body, script, now)
        if status == SENDING:  # the last owner died mid-send: it may have arrived (module docstring)
            _mark(delivery_id, Outcome(UNKNOWN, error="interrupted while sending; not resent"))
            report.count(channel_name, UNKNOWN)
            continue
        if channel is None:
            _mark(delivery_id, Outcome(REJECTED, error=f"no channel {channel_name}"))
            continue
        if channel.local:
            with session_scope() as session:
                outcome = channel.deliver(outgoing, session)
                _mark_in(session, delivery_id, outcome)
        else:
            _mark(delivery_id, Outcome(SENDING))
            outcome = channel.deliver(outgoing)
            _mark(delivery_id, outcome)
            if outcome.retry_after_seconds:
                retry_after = max(retry_after or 0, outcome.retry_after_seconds)
        report.count(channel_name, outcome.status)
    return retry_after


def _mark_in(session, delivery_id: int, outcome: Outcome) -> None:
    delivery = session.get(ReminderDelivery, delivery_id)
    delivery.status = outcome.status
    if outcome.status == SENDING:
        delivery.attempts = (delivery.attempts or 0) + 1
    if outcome.external_id:
        delivery.external_id = outcome.external_id
    if outcome.error:
        delivery.last_error = outcome.error
    delivery.updated_at = datetime.utcnow()


def _mark(delivery_id: int, outcome: Outcome) -> None:
    with session_scope() as session:
        _mark_in(session, delivery_id, outcome)


def _finish(customer_id: int, owner: str, message_ids: List[int], now: datetime, retry_after: Optional[int],
            report: DispatchReport) -> None:
    """Sent when every delivery is final; otherwise back to pending with backoff (or failed at last)."""
    with session_scope() as session:
        open_messages = {m for (m,) in session.query(ReminderDelivery.message_id).filter(
            ReminderDelivery.message_id.in_(message_ids), ReminderDelivery.status.notin_(FINAL)).distinct()}
        for row in _owned(session, customer_id, owner).filter(Reminder.message_id.in_(message_ids)).all():
            if row.message_id not in open_messages:
                _release([row], status="sent", sent_at=now)
                continue
            attempts = (row.attempts or 0) + 1
            if attempts >= MAX_ATTEMPTS:
                _release([row], status="failed", attempts=attempts, last_error="delivery kept failing")
                continue
            wait = BACKOFF[attempts - 1]
            if retry_after:
                wait = max(wait, timedelta(seconds=retry_after))
            _release([row], status="pending", attempts=attempts, next_attempt_at=now + wait)
            report.retried += 1


# --- one-off messages (voice-of-the-customer surveys, issue 18) -------------------------------------


@dataclass(frozen=True)
class OneOffResult:
    status: str  # sent | held (quiet hours: try again at `retry_at`) | opted_out
    retry_at: Optional[datetime] = None
    report: Optional[DispatchReport] = None


OPTED_OUT, HELD = "opted_out", "held"


def send_one_off(customer_id: int, key: str, body: str, call_script: str, now: Optional[datetime] = None,
                 channels: Optional[Dict[str, ReminderChannel]] = None) -> OneOffResult:
    """A message outside the premium reminders (a survey) with the reminders' rules: nothing to opted-out
    customers, nothing in their quiet hours, the same channels and outbox, once per `key` (a second call
    with the same key delivers only what is still open)."""
    now = now or datetime.utcnow()
    with session_scope() as session:
        preferences = preferences_in(session, customer_id)
        customer = session.get(Customer, customer_id)
        senior = bool(customer) and is_senior(customer.birth_date, business_day(now))
        language = customer_language(customer.language, customer.dialect) if customer else "zh-Hans"
    if preferences.opted_out:
        return OneOffResult(OPTED_OUT)
    if is_quiet_time(now, preferences.time_zone):
        return OneOffResult(HELD, retry_at=next_morning(now, preferences.time_zone))
    message_key = f"once-{hashlib.sha256(key.encode()).hexdigest()[:40]}"
    with session_scope() as session:
        message = session.query(ReminderMessage).filter_by(idempotency_key=message_key).first()
        if message is None:
            message = ReminderMessage(idempotency_key=message_key, customer_id=customer_id, language=language,
                                      body=body, call_script=call_script)
            session.add(message)
            session.flush()
            for channel, address in _targets(customer_id, preferences, senior):
                session.add(ReminderDelivery(idempotency_key=f"{message_key}:{channel}:{address}"[:100],
                                             message_id=message.id, channel=channel, address=address))
        message_id = message.id
    report = DispatchReport(customers=1, messages=1)
    _deliver_message(message_id, channels or default_channels(), now, report)
    return OneOffResult(SENT, report=report)
