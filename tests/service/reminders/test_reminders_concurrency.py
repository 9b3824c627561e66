"""Two real scheduler processes against one database send every reminder once (SQLite, and PostgreSQL
when a server runs on 127.0.0.1:5432), and running them again sends nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from actions.service.core.db import session_scope
from actions.service.core.models import ChannelLink, Customer, CustomerNotice, Policy, Reminder
from tests.service.reminders.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[3]
CUSTOMERS = 120
DUE = date(2027, 3, 15)
NOW = datetime(2027, 3, 8, 2, 0)  # 10:00 in Shanghai, 7 days before DUE
ROUNDS_PER_PROCESS = 3


def add_customers(count: int) -> None:
    with session_scope() as session:
        for i in range(count):
            customer = Customer(name=f"客户{i}", name_en=f"Customer {i}", birth_date=date(1980, 1, 1),
                                phone=f"1350000{i:04d}", id_last4_hash="x", language="zh-Hans", dialect="")
            session.add(customer)
            session.add(Policy(number=f"P2098{i:06d}", customer=customer, product="term", product_name="定期寿险",
                               product_name_en="Term Life", status="in_force", sum_assured=Decimal(100000),
                               premium=Decimal(450), frequency="annual", next_due_date=DUE))
            session.flush()
            session.add(ChannelLink(customer_id=customer.id, channel="telegram", address=str(900000 + i)))


def run_two_schedulers(url: str, api: FakeBotApi) -> list:
    """Both processes at once, each doing several rounds; returns their summaries."""
    env = dict(os.environ, ANXIN_DATABASE_URL=url, TELEGRAM_BOT_TOKEN="123:test", TELEGRAM_API_URL=api.url,
               PYTHONPATH=str(ROOT), ANXIN_PUBLIC_URL="https://anxin.test")
    loop = "; ".join([f"{sys.executable} -m actions.service.scheduler --once --now {NOW.isoformat()}"]
                     * ROUNDS_PER_PROCESS)
    processes = [subprocess.Popen(["bash", "-c", f"set -e; {loop}"], env=env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = []
    for process in processes:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output.decode()[-3000:]
        outputs.append([line for line in output.decode().splitlines() if line.startswith("scan ")])
    return outputs


def assert_each_reminder_sent_once(api: FakeBotApi) -> None:
    chats = api.chats()
    assert len(chats) == CUSTOMERS and len(set(chats)) == CUSTOMERS
    with session_scope() as session:
        assert session.query(Reminder).filter_by(status="sent").count() == CUSTOMERS
        assert session.query(Reminder).count() == CUSTOMERS
        assert session.query(CustomerNotice).count() == CUSTOMERS


def test_two_scheduler_processes_on_sqlite_send_each_reminder_once(demo_db):
    add_customers(CUSTOMERS)
    with FakeBotApi() as api:
        run_two_schedulers(demo_db, api)
        assert_each_reminder_sent_once(api)
        run_two_schedulers(demo_db, api)  # a restart of both sends nothing again
        assert_each_reminder_sent_once(api)


def test_two_scheduler_processes_on_postgresql_send_each_reminder_once(postgres_db):
    add_customers(CUSTOMERS)
    with FakeBotApi() as api:
        run_two_schedulers(postgres_db, api)
        assert_each_reminder_sent_once(api)
        run_two_schedulers(postgres_db, api)
        assert_each_reminder_sent_once(api)
