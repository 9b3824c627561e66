"""Tables of the business database."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.types import TypeDecorator
from sqlalchemy.orm import declarative_base, declared_attr, relationship

Base = declarative_base()



class Money(TypeDecorator):
    """Yuan as Decimal in Python, whole cents as an integer in the database (exact on SQLite too)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value) / 100


MONEY = Money()


class InteractionColumns:
    """Who said it, where, in which language, about what, and when: on every record analytics reads."""

    sender_id = Column(String(120), index=True)
    channel = Column(String(30), default="")
    language = Column(String(8), default="zh-Hans")
    intent = Column(String(60), default="")
    created_at = Column(DateTime, default=datetime.utcnow)

    @declared_attr
    def customer_id(cls):  # a foreign key on a mixin must be declared per table
        return Column(ForeignKey("customers.id"), nullable=True, index=True)


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    name = Column(String(80))
    name_en = Column(String(80))
    birth_date = Column(Date)
    phone = Column(String(20), unique=True, index=True)
    # Only a keyed hash of the ID card's last 4 digits is kept.
    id_last4_hash = Column(String(64))
    language = Column(String(8), default="zh-Hans")
    dialect = Column(String(40), default="")
    address = Column(String(200), default="")
    tier = Column(String(20), default="standard")  # standard | vip; NULL (older rows) reads as standard
    policies = relationship("Policy", back_populates="customer", order_by="Policy.number")


class Policy(Base):
    __tablename__ = "policies"
    id = Column(Integer, primary_key=True)
    number = Column(String(20), unique=True, index=True)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    product = Column(String(40))
    product_name = Column(String(60))
    product_name_en = Column(String(60))
    status = Column(String(20), default="in_force")
    sum_assured = Column(MONEY)
    premium = Column(MONEY)
    frequency = Column(String(10))  # annual | monthly
    next_due_date = Column(Date, index=True)
    cash_value = Column(MONEY, default=0)
    bank_name = Column(String(60), default="")
    # Only the last 4 digits of the debit account are stored; nothing can leak more.
    account_last4 = Column(String(4), default="")
    customer = relationship("Customer", back_populates="policies")


class Payment(Base):
    __tablename__ = "payments"
    id = Column(Integer, primary_key=True)
    policy_id = Column(ForeignKey("policies.id"), index=True)
    amount = Column(MONEY)
    paid_on = Column(Date)
    period_due_date = Column(Date)
    method = Column(String(20))
    invoice_number = Column(String(30), nullable=True, unique=True)
    order_reference = Column(String(30), nullable=True)
    policy = relationship("Policy")
    # A policy period is paid once, whichever order pays it (an index, so older databases get it too).
    __table_args__ = (Index("uq_payment_policy_period", "policy_id", "period_due_date", unique=True),)


class PaymentOrder(Base):
    """One combined payment for one or several policies."""

    __tablename__ = "payment_orders"
    id = Column(Integer, primary_key=True)
    reference = Column(String(30), unique=True, index=True)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    policy_numbers = Column(String(200))  # comma-separated
    amount = Column(MONEY)
    method = Column(String(20))
    status = Column(String(20), default="pending")
    pay_url = Column(String(300), default="")  # no longer stored: the link carries the order's secret token
    created_at = Column(DateTime, default=datetime.utcnow)
    # The period each policy is paid for (ISO dates, in policy_numbers' order): settling pays exactly these.
    due_dates = Column(String(200), nullable=True)
    pay_token_hash = Column(String(64), nullable=True, unique=True, index=True)  # SHA-256 of the pay link's token
    # The conversation that asked for the order: told there when the money arrives.
    sender_id = Column(String(128), nullable=True)
    channel = Column(String(20), nullable=True)


class PaymentCallback(Base):
    """Each payment callback accepted, by its nonce: the same callback twice is a replay and settles nothing."""

    __tablename__ = "payment_callbacks"
    nonce = Column(String(128), primary_key=True)
    reference = Column(String(30))
    received_at = Column(DateTime, index=True)


class Claim(Base):
    """A claim report. Duplicates are matched on (insured person, event type, event date)."""

    __tablename__ = "claims"
    id = Column(Integer, primary_key=True)
    reference = Column(String(30), unique=True, index=True)
    policy_id = Column(ForeignKey("policies.id"), index=True)
    insured_customer_id = Column(ForeignKey("customers.id"), nullable=True, index=True)
    event_type = Column(String(30))
    event_date = Column(Date)
    place = Column(String(200), default="")
    description = Column(Text, default="")
    contact_phone = Column(String(20), default="")
    claimed_amount = Column(MONEY, nullable=True)  # what the customer expects to claim, if they know
    status = Column(String(30), default="received")
    amount = Column(MONEY, nullable=True)  # the payout, once decided
    created_at = Column(DateTime, default=datetime.utcnow)
    updated_at = Column(DateTime, default=datetime.utcnow)
    # The duplicate rule, enforced by the database too (two reports at the same moment).
    __table_args__ = (UniqueConstraint("insured_customer_id", "event_type", "event_date", name="uq_claim_event"),)
    policy = relationship("Policy")
    history = relationship("ClaimStatusChange", order_by="ClaimStatusChange.id")


class ClaimStatusChange(Base):
    """One step of a claim's timeline (received, documents checked, ...), by the bot or by staff."""

    __tablename__ = "claim_status_changes"
    id = Column(Integer, primary_key=True)
    claim_id = Column(ForeignKey("claims.id"), index=True)
    status = Column(String(30))
    changed_by = Column(String(60), default="system")
    note = Column(String(300), default="")
    changed_at = Column(DateTime, default=datetime.utcnow)


class ClaimReport(InteractionColumns, Base):
    """Every time someone reported a claim, the first report and each duplicate of it."""

    __tablename__ = "claim_reports"
    id = Column(Integer, primary_key=True)
    claim_id = Column(ForeignKey("claims.id"), index=True)
    duplicate = Column(Boolean, default=False)


class FamilyLink(Base):
    """A family member registered on a customer's policies, who may report and follow their claims."""

    __tablename__ = "family_links"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    relative_id = Column(ForeignKey("customers.id"))
    relation = Column(String(20))  # how the relative is related to the customer: mother, father, ...
    __table_args__ = (UniqueConstraint("customer_id", "relative_id", name="uq_family_link"),)


class CallbackTask(Base):
    """A call back promised to a customer (after a claim report; at a time they chose)."""

    __tablename__ = "callback_tasks"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=True, index=True)
    phone = Column(String(20))
    reason = Column(String(60))
    subject = Column(String(60), default="")  # e.g. the claim reference
    due_at = Column(DateTime, index=True)
    status = Column(String(20), default="open")
    created_at = Column(DateTime, default=datetime.utcnow)


class Complaint(InteractionColumns, Base):
    __tablename__ = "complaints"
    id = Column(Integer, primary_key=True)
    reference = Column(String(30), unique=True, index=True)
    category = Column(String(30))
    description = Column(Text, default="")
    desired_outcome = Column(Text, default="")
    work_order = relationship("WorkOrder", uselist=False, back_populates="complaint")


class WorkOrder(Base):
    """会办单: a complaint dispatched to the department that owns it, with its SLA."""

    __tablename__ = "work_orders"
    id = Column(Integer, primary_key=True)
    complaint_id = Column(ForeignKey("complaints.id"), unique=True)
    department = Column(String(40), index=True)
    status = Column(String(20), default="open", index=True)  # open | responded | resolved
    first_response_due = Column(DateTime)
    resolution_due = Column(DateTime)
    responded_at = Column(DateTime, nullable=True)
    resolved_at = Column(DateTime, nullable=True)
    resolution = Column(Text, default="")
    complaint = relationship("Complaint", back_populates="work_order")


class ServiceEvent(InteractionColumns, Base):
    """Voice of the customer: every rating, complaint, fallback, handoff and claim report, for analytics."""

    __tablename__ = "service_events"
    id = Column(Integer, primary_key=True)
    kind = Column(String(30), index=True)
    detail = Column(String(300), default="")


class VerificationFailure(Base):
    """Failed identity checks per key (phone number or chat sender), for the lock."""

    __tablename__ = "verification_failures"
    key = Column(String(120), primary_key=True)
    failures = Column(Integer, default=0)
    locked_until = Column(DateTime, nullable=True)


class DocumentLink(Base):
    """An unguessable, expiring download link for a customer's document."""

    __tablename__ = "document_links"
    token = Column(String(64), primary_key=True)
    kind = Column(String(20))  # invoice | calendar
    customer_id = Column(ForeignKey("customers.id"))
    subject = Column(String(200))  # payment id or policy numbers
    language = Column(String(8))
    expires_at = Column(DateTime)


class LoanApplication(Base):
    __tablename__ = "loan_applications"
    id = Column(Integer, primary_key=True)
    reference = Column(String(30), unique=True)
    policy_id = Column(ForeignKey("policies.id"))
    amount = Column(MONEY)
    status = Column(String(30))  # submitted | referred_to_human
    created_at = Column(DateTime, default=datetime.utcnow)


class HandoffTicket(InteractionColumns, Base):
    """A request to reach a human, with what the customer already said.

    status: waiting (queued, bot paused) -> active (an agent took it) -> resolved | handed_back;
    unstaffed (nobody could answer: the bot stays on) -> callback (a call back was booked).
    The columns after `status` came with the agent console (issue 4): nullable, so
    db.add_missing_columns adds them to an older database.
    """

    __tablename__ = "handoff_tickets"
    id = Column(Integer, primary_key=True)
    reason = Column(String(60))
    summary = Column(Text, default="")
    transcript = Column(Text, default="")
    status = Column(String(20), default="waiting", index=True)
    priority = Column(String(10), nullable=True)  # senior | vip | standard (NULL in older rows: standard)
    caller_phone = Column(String(20), nullable=True)  # masked
    agent_id = Column(ForeignKey("agents.id"), nullable=True)
    taken_at = Column(DateTime, nullable=True)
    first_response_at = Column(DateTime, nullable=True)
    resolved_at = Column(DateTime, nullable=True)
    updated_at = Column(DateTime, nullable=True, index=True)  # every change: the console's change marker
    # The last place in the queue the customer was told, and when (issue 14: any server's notifier
    # reads it, so a customer hears one update a minute however many servers run).
    place_told = Column(Integer, nullable=True)
    place_told_at = Column(DateTime, nullable=True)
    # The wait the customer was told when queued: past it, each message gets an apology and a call-back offer.
    promised_wait_seconds = Column(Integer, nullable=True)
    # An agent checked the customer's identity in the console (issue 15): who, and when.
    verified_by_agent_id = Column(Integer, nullable=True)
    verified_at = Column(DateTime, nullable=True)


class ChangeRecord(Base):
    """Audit of customer-initiated changes (contact, debit account). Masked values only."""

    __tablename__ = "change_records"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    kind = Column(String(30))
    old_value = Column(String(120))
    new_value = Column(String(120))
    created_at = Column(DateTime, default=datetime.utcnow)


class Feedback(InteractionColumns, Base):
    """Free feedback and ratings, with when, where and in which language they were given."""

    __tablename__ = "feedback"
    id = Column(Integer, primary_key=True)
    text = Column(Text, default="")
    rating = Column(Integer, nullable=True)


class ChannelLink(Base):
    """A channel address (a Telegram chat id, a caller number) that reaches a verified customer."""

    __tablename__ = "channel_links"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    channel = Column(String(30))  # telegram | phone | socketio
    address = Column(String(120))
    linked_at = Column(DateTime, default=datetime.utcnow)
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_channel_address"),)


# --- renewal reminders (issue 7) -------------------------------------------------------------------
# New tables rather than new columns: create_all adds missing tables to an existing database,
# never missing columns.

from sqlalchemy import Boolean, Index, text  # noqa: E402  (kept with the tables that need them)

REMINDER_OPEN = ("pending", "claimed")
# Written out as SQL, not bound parameters: SQLite uses a partial index only when the query repeats
# its WHERE term with the same constants.
REMINDER_OPEN_SQL = "status IN ('pending', 'claimed')"


class CustomerPreference(Base):
    """How a customer wants to be reminded. No row = the defaults (every channel, standard stages)."""

    __tablename__ = "customer_preferences"
    customer_id = Column(ForeignKey("customers.id"), primary_key=True)
    time_zone = Column(String(40), nullable=True)  # None: Asia/Hong_Kong for +852 phones, else Asia/Shanghai
    reminders_opted_out = Column(Boolean, default=False, nullable=False)
    channels = Column(String(60), default="")  # comma-separated telegram,web,phone; "" = all available
    lead_days = Column(Integer, nullable=True)  # an extra reminder this many days before the due date
    updated_at = Column(DateTime, default=datetime.utcnow)


class Reminder(Base):
    """One reminder of one premium: UNIQUE (policy, due date, stage) makes every stage happen once."""

    __tablename__ = "reminders"
    id = Column(Integer, primary_key=True)
    policy_id = Column(ForeignKey("policies.id"), nullable=False)
    customer_id = Column(ForeignKey("customers.id"), nullable=False)
    due_date = Column(Date, nullable=False)
    stage = Column(String(20), nullable=False)  # before_30 before_7 before_1 lead_N grace_1 grace_30 grace_55
    status = Column(String(12), nullable=False, default="pending")  # pending claimed sent cancelled failed
    next_attempt_at = Column(DateTime, nullable=False)  # naive UTC; quiet hours and backoff move it
    attempts = Column(Integer, nullable=False, default=0)
    lease_owner = Column(String(80), nullable=True)
    lease_expires_at = Column(DateTime, nullable=True)
    message_id = Column(ForeignKey("reminder_messages.id"), nullable=True)
    last_error = Column(String(300), default="")
    created_at = Column(DateTime, default=datetime.utcnow)
    sent_at = Column(DateTime, nullable=True)
    __table_args__ = (
        UniqueConstraint("policy_id", "due_date", "stage", name="uq_reminder_policy_due_stage"),
        # The sender's questions (who has something due now; claim a customer's rows) are about open
        # reminders only: a partial index stays as small as the work in hand while sent rows pile up.
        # Queries repeat the predicate (REMINDER_OPEN) so SQLite and PostgreSQL both use it.
        Index("ix_reminders_open", "customer_id", "next_attempt_at", "lease_expires_at",
              sqlite_where=text(REMINDER_OPEN_SQL), postgresql_where=text(REMINDER_OPEN_SQL)),
    )


class ReminderMessage(Base):
    """One message to one customer covering every reminder claimed together (several policies, one link).

    The text is rendered once and stored, so a retry sends exactly the same words and links.
    """

    __tablename__ = "reminder_messages"
    id = Column(Integer, primary_key=True)
    idempotency_key = Column(String(64), unique=True, nullable=False)
    customer_id = Column(ForeignKey("customers.id"), index=True, nullable=False)
    language = Column(String(8), nullable=False)
    body = Column(Text, nullable=False)
    call_script = Column(Text, default="")
    payment_reference = Column(String(30), default="")
    created_at = Column(DateTime, default=datetime.utcnow)


class ReminderDelivery(Base):
    """The outbox: one row per message and channel address, written *before* anything is sent.

    status: pending -> sending -> sent | failed (retried) | unknown (the process died mid-send:
    never re-sent, see actions/service/reminders/delivery.py).
    """

    __tablename__ = "reminder_deliveries"
    id = Column(Integer, primary_key=True)
    idempotency_key = Column(String(100), unique=True, nullable=False)
    message_id = Column(ForeignKey("reminder_messages.id"), index=True, nullable=False)
    channel = Column(String(20), nullable=False)  # telegram | web | phone
    address = Column(String(120), nullable=False)
    status = Column(String(12), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    external_id = Column(String(60), default="")  # e.g. Telegram's message_id
    last_error = Column(String(300), default="")
    updated_at = Column(DateTime, default=datetime.utcnow)


class CustomerNotice(Base):
    """A message waiting in the web chat for the customer's next visit."""

    __tablename__ = "customer_notices"
    id = Column(Integer, primary_key=True)
    delivery_key = Column(String(100), unique=True, nullable=False)
    customer_id = Column(ForeignKey("customers.id"), nullable=False)
    kind = Column(String(20), default="reminder")
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, default=datetime.utcnow)
    shown_at = Column(DateTime, nullable=True)
    __table_args__ = (Index("ix_customer_notices_customer_shown", "customer_id", "shown_at"),)


class OutboundCallRequest(Base):
    """A request for the voice gateway or a staff member to call a (senior) customer."""

    __tablename__ = "outbound_call_requests"
    id = Column(Integer, primary_key=True)
    delivery_key = Column(String(100), unique=True, nullable=False)
    customer_id = Column(ForeignKey("customers.id"), index=True, nullable=False)
    language = Column(String(8), nullable=False)
    dialect = Column(String(40), default="")
    reason = Column(String(30), default="premium_reminder")
    script = Column(Text, nullable=False)
    status = Column(String(20), default="waiting")  # waiting | calling | done | no_answer
    not_before = Column(DateTime, nullable=True)  # naive UTC: the customer's morning
    created_at = Column(DateTime, default=datetime.utcnow)


# --- Telegram channel (issue 5) ---------------------------------------------------------------


class TelegramUpdate(Base):
    """Update ids already taken from Telegram: its webhook retries must not answer twice, even
    across a restart. Old rows are pruned (Telegram gives up retrying within a day)."""

    __tablename__ = "telegram_updates"
    update_id = Column(BigInteger, primary_key=True, autoincrement=False)
    received_at = Column(DateTime, default=datetime.utcnow, index=True)


class TelegramChat(Base):
    """A Telegram chat's screen settings: its language (for keyboards and pushes) and elder mode."""

    __tablename__ = "telegram_chats"
    chat_id = Column(String(40), primary_key=True)
    language = Column(String(8), default="")
    elder_mode = Column(Boolean, default=False)
    updated_at = Column(DateTime, default=datetime.utcnow, onupdate=datetime.utcnow)


# --- human lane: agents and the console (issue 4) ---------------------------------------------------


class Agent(Base):
    """A staff member who answers handed-off customers. Only a scrypt hash of the password is kept."""

    __tablename__ = "agents"
    id = Column(Integer, primary_key=True)
    username = Column(String(60), unique=True, nullable=False)
    display_name = Column(String(80), nullable=False)
    role = Column(String(20), nullable=False, default="agent")  # agent | supervisor
    skills = Column(String(80), nullable=False, default="")  # comma-separated language codes
    password_hash = Column(String(200), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    failures_since = Column(DateTime, nullable=True)  # start of the current window of wrong passwords
    locked_until = Column(DateTime, nullable=True)
    last_seen_at = Column(DateTime, nullable=True, index=True)
    created_at = Column(DateTime, default=datetime.utcnow)


class UnknownLoginName(Base):
    """Wrong logins under a name that is no (active) account, counted like an account's: a name that does
    not exist locks exactly as one that does, so the answers never tell which names are staff."""

    __tablename__ = "unknown_login_names"
    name_hash = Column(String(64), primary_key=True)  # SHA-256 of the name as typed: never stored in clear
    failed_logins = Column(Integer, nullable=False, default=0)
    failures_since = Column(DateTime, nullable=True, index=True)
    locked_until = Column(DateTime, nullable=True)


class AgentSession(Base):
    """A logged-in console session. The token itself is never stored, only its SHA-256."""

    __tablename__ = "agent_sessions"
    token_hash = Column(String(64), primary_key=True)
    agent_id = Column(ForeignKey("agents.id"), index=True, nullable=False)
    created_at = Column(DateTime, nullable=False)
    last_used_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)  # absolute end, whatever the activity


class AuditEntry(Base):
    """Who did what to which ticket or customer, and when: logins, views of customer data, takes, replies."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    agent_id = Column(ForeignKey("agents.id"), nullable=True, index=True)
    action = Column(String(40), nullable=False)
    ticket_id = Column(ForeignKey("handoff_tickets.id"), nullable=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=True, index=True)
    detail = Column(String(300), default="")
    created_at = Column(DateTime, default=datetime.utcnow, index=True)


class HandoffMessage(Base):
    """One line of a handed-off conversation: the customer, the bot, an agent, a private note, a notice."""

    __tablename__ = "handoff_messages"
    id = Column(Integer, primary_key=True)
    ticket_id = Column(ForeignKey("handoff_tickets.id"), nullable=False)
    author = Column(String(10), nullable=False)  # customer | bot | agent | note | system
    text = Column(Text, nullable=False)
    agent_id = Column(ForeignKey("agents.id"), nullable=True)
    created_at = Column(DateTime, default=datetime.utcnow)
    __table_args__ = (Index("ix_handoff_messages_ticket_id", "ticket_id", "id"),)


class LaneOutbox(Base):
    """What an agent (or the bot, after a handoff) said to a customer on a channel that cannot push
    (REST, voice messages): it waits here and goes out with the customer's next answer, whichever
    Rasa server answers it. Deleted once handed over."""

    __tablename__ = "lane_outbox"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    message = Column(Text, nullable=False)  # JSON: text, metadata, buttons... as Rasa's REST answer has them
    created_at = Column(DateTime, default=datetime.utcnow)


class Lease(Base):
    """A job that one process of many should run at a time (the queue-place notifier): who holds it, until when."""

    __tablename__ = "leases"
    name = Column(String(60), primary_key=True)
    holder = Column(String(120), nullable=False)
    expires_at = Column(DateTime, nullable=False)
