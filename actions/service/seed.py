"""Seed the demo customers from data/seed on first run (idempotent: existing phones are skipped)."""
from __future__ import annotations

import argparse
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Optional

import yaml
from dateutil.relativedelta import relativedelta

from actions.service.db import session_scope
from actions.service.identity import hash_id_last4
from actions.service.models import Claim, Customer, Payment, Policy
from actions.service.payments import invoice_number_for
from actions.service.policies import months_per_period
from actions.service.settings import PROJECT_ROOT

SEED_FILE = PROJECT_ROOT / "data" / "seed" / "demo_customers.yml"


def seed_demo_data(today: Optional[date] = None, seed_file: Path = SEED_FILE, url: Optional[str] = None) -> int:
    """Insert the demo customers that are missing; returns how many were added."""
    today = today or date.today()
    spec = yaml.safe_load(seed_file.read_text(encoding="utf-8"))
    added = 0
    with session_scope(url) as session:
        for person in spec["customers"]:
            if session.query(Customer).filter_by(phone=person["phone"]).first():
                continue
            customer = Customer(
                name=person["name"], name_en=person["name_en"], birth_date=person["birth_date"],
                phone=person["phone"], id_last4_hash=hash_id_last4(person["id_last4"]),
                language=person["language"], dialect=person["dialect"], address=person["address"],
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
                    session.add(Claim(
                        reference=claim["reference"], policy=policy, event_type=claim["event_type"],
                        event_date=today - timedelta(days=claim["event_days_ago"]),
                        status=claim["status"], amount=Decimal(claim["amount"]),
                    ))
            added += 1
    return added


def _previous_due_date(due: date, frequency: str) -> date:
    return due - relativedelta(months=months_per_period(frequency))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    print(f"seeded {seed_demo_data()} demo customers")


if __name__ == "__main__":
    main()
