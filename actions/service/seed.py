"""Seed the demo customers from data/seed on first run (idempotent: existing phones are skipped)."""
from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Optional

import yaml
from dateutil.relativedelta import relativedelta

from actions.service.human_lane.agents import ensure_demo_agents
from actions.service.core.db import session_scope
from actions.service.customers.identity import hash_id_last4
from actions.service.core.models import Claim, ClaimStatusChange, Customer, FamilyLink, Payment, Policy
from actions.service.policies.payments import invoice_number_for
from actions.service.policies.lookup import months_per_period
from actions.service.core.settings import PROJECT_ROOT

SEED_FILE = PROJECT_ROOT / "data" / "seed" / "demo_customers.yml"


def seed_demo_data(today: Optional[date] = None, seed_file: Path = SEED_FILE, url: Optional[str] = None) -> int:
    """Insert the demo customers that are missing; returns how many were added."""
    today = today or date.today()
    spec = yaml.safe_load(seed_file.read_text(encoding="utf-8"))
    added = 0
    with session_scope(url) as session:
        for person in spec["customers"]:
            existing = session.query(Customer).filter_by(phone=person["phone"]).first()
            if existing:
                if existing.tier is None:  # seeded before tiers existed
                    existing.tier = person.get("tier", "standard")
                continue
            customer = Customer(
                name=person["name"], name_en=person["name_en"], birth_date=person["birth_date"],
                phone=person["phone"], id_last4_hash=hash_id_last4(person["id_last4"]),
                language=person["language"], dialect=person["dialect"], address=person["address"],
                tier=person.get("tier", "standard"),
            )
            session.add(customer)
            for item in person["policies"]:
                due = today + timedelta(days=item["due_in_days"])
                policy = Policy(
                    number=item["number"], customer=customer, product=item["product"],
                    product_name=item["product_name"], product_name_en=item["product_name_en"],
                    status="in_force" if due >= today else "grace",
                    sum_assured=Decimal(item["sum_assured"]), premium=Decimal(item["premium"]),
                    frequency=item["frequency"], next_due_date=due, cash_value=Decimal(item["cash_value"]),
                    bank_name=item["bank_name"], account_last4=item["account_last4"],
                )
                session.add(policy)
                session.flush()
                for paid in item.get("payments", []):
                    paid_on = today - timedelta(days=paid["days_ago"])
                    payment = Payment(
                        policy=policy, amount=Decimal(paid["amount"]), paid_on=paid_on,
                        period_due_date=_previous_due_date(due, item["frequency"]), method="bank_debit",
                    )
                    session.add(payment)
                    session.flush()
                    payment.invoice_number = invoice_number_for(payment)
                for claim in item.get("claims", []):
                    _add_claim(session, policy, claim, today)
            added += 1
        _link_families(session, spec["customers"])
    return added


def _add_claim(session, policy: Policy, spec: dict, today: date) -> None:
    claim = Claim(
        reference=spec["reference"], policy=policy, insured_customer_id=policy.customer.id,
        event_type=spec["event_type"], event_date=today - timedelta(days=spec["event_days_ago"]),
        status=spec["status"], amount=Decimal(spec["amount"]),
    )
    session.add(claim)
    session.flush()
    for step in spec.get("history", []):
        at = datetime.combine(today - timedelta(days=step["days_ago"]), time(10, 0))
        session.add(ClaimStatusChange(claim_id=claim.id, status=step["status"], changed_by="seed", changed_at=at))


def _link_families(session, people: list) -> None:
    """Family links both ways; links that exist already are kept (idempotent)."""
    by_phone = {c.phone: c.id for c in session.query(Customer)}
    for person in people:
        for relative in person.get("family", []):
            me, them = by_phone[person["phone"]], by_phone[relative["phone"]]
            for customer_id, relative_id, relation in ((me, them, relative["relation"]),
                                                       (them, me, relative["their_relation"])):
                if not session.query(FamilyLink).filter_by(customer_id=customer_id, relative_id=relative_id).first():
                    session.add(FamilyLink(customer_id=customer_id, relative_id=relative_id, relation=relation))


def _previous_due_date(due: date, frequency: str) -> date:
    return due - relativedelta(months=months_per_period(frequency))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    print(f"seeded {seed_demo_data()} demo customers")
    for username, password in ensure_demo_agents().items():
        print(f"Agent console login: {username} / {password} (shown once; "
              f"new one: python -m actions.service.staff_cli agent-password {username})")


if __name__ == "__main__":
    main()
