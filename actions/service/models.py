"""Tables of the business database."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlalchemy.orm import declarative_base, relationship

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
    pay_url = Column(String(300), default="")
    created_at = Column(DateTime, default=datetime.utcnow)


class Claim(Base):
    __tablename__ = "claims"
    id = Column(Integer, primary_key=True)
    reference = Column(String(30), unique=True, index=True)
    policy_id = Column(ForeignKey("policies.id"), index=True)
    event_type = Column(String(30))
    event_date = Column(Date)
    status = Column(String(30), default="received")
    amount = Column(MONEY, nullable=True)
    created_at = Column(DateTime, default=datetime.utcnow)
    updated_at = Column(DateTime, default=datetime.utcnow)
    policy = relationship("Policy")


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


class HandoffTicket(Base):
    """A request to reach a human, with what the customer already said."""

    __tablename__ = "handoff_tickets"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(120), index=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=True)
    channel = Column(String(30), default="")
    language = Column(String(8), default="zh-Hans")
    reason = Column(String(60))
    summary = Column(Text, default="")
    transcript = Column(Text, default="")
    status = Column(String(20), default="waiting")
    created_at = Column(DateTime, default=datetime.utcnow)


class ChangeRecord(Base):
    """Audit of customer-initiated changes (contact, debit account). Masked values only."""

    __tablename__ = "change_records"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    kind = Column(String(30))
    old_value = Column(String(120))
    new_value = Column(String(120))
    created_at = Column(DateTime, default=datetime.utcnow)


class Feedback(Base):
    """Free feedback and ratings, with when, where and in which language they were given."""

    __tablename__ = "feedback"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(120), index=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=True)
    channel = Column(String(30), default="")
    language = Column(String(8), default="zh-Hans")
    text = Column(Text, default="")
    rating = Column(Integer, nullable=True)
    created_at = Column(DateTime, default=datetime.utcnow)


class ChannelLink(Base):
    """A channel address (a Telegram chat id, a caller number) that reaches a verified customer."""

    __tablename__ = "channel_links"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    channel = Column(String(30))  # telegram | phone | socketio
    address = Column(String(120))
    linked_at = Column(DateTime, default=datetime.utcnow)
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_channel_address"),)


# --- Telegram channel (issue 5) ---------------------------------------------------------------
from sqlalchemy import Boolean  # noqa: E402  (kept in this block so other blocks merge cleanly)


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
