"""`make bench` (reminders): scan 1,000,000 policies for due premium reminders, on SQLite and PostgreSQL.

For each database: bulk-load 1,000,000 policies (due dates spread over a year, 4 per customer),
then time, with and without the index on policies.next_due_date,
- the first scan ever (records ~250,000 reminders: every premium inside a stage window),
- the next day's scan (what a normal day adds, ~16,000),
- a repeat scan (what every later scan costs: nothing new, each candidate meets the UNIQUE key),
and, with and without the partial index on open reminders, finding the customers with something to send among
~260,000 reminder rows (the sender's question every minute). Target: a scan <= 10 s.
PostgreSQL runs in a throwaway database on 127.0.0.1:5432 and is skipped when there is no server.

    python -m tests.bench_reminders [--policies N]
"""
from __future__ import annotations

import argparse
import io
import tempfile
import time
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Dict, Optional

from sqlalchemy import text

from actions.service.core import db as service_db
from tests.bench import machine
from tests.conftest import clear_service_caches
from tests.throwaway_postgres import NoPostgres, throwaway_database

POLICIES_PER_CUSTOMER = 4
NOW = datetime(2027, 6, 1, 2, 0)  # 10:00 in Shanghai
TODAY = date(2027, 6, 1)
DUE_SPREAD_DAYS = 365
STILL_TO_SEND = 1000
DUE_DATE_INDEX = "ix_policies_next_due_date"
SEND_INDEX = "ix_reminders_open"


def _rows(policies: int):
    """(customers, policies) as tab-separated lines: ids are explicit so both tables load in bulk."""
    customers = policies // POLICIES_PER_CUSTOMER
    first_due = TODAY - timedelta(days=DUE_SPREAD_DAYS // 2)
    customer_lines = (f"{c}\t客户{c}\tCustomer {c}\t1960-01-01\t139{c:08d}\tx\tzh-Hans\t\t\n"
                      for c in range(1, customers + 1))
    policy_lines = (f"{p}\tP{p:010d}\t{(p - 1) // POLICIES_PER_CUSTOMER + 1}\tterm\t定期寿险\tTerm Life\t"
                    f"{'in_force' if p % 50 else 'lapsed'}\t10000000\t45000\tannual\t"
                    f"{first_due + timedelta(days=(p * 7919) % DUE_SPREAD_DAYS)}\t0\t\t\n"
                    for p in range(1, policies + 1))
    return customer_lines, policy_lines


CUSTOMER_COLUMNS = "id, name, name_en, birth_date, phone, id_last4_hash, language, dialect, address"
POLICY_COLUMNS = ("id, number, customer_id, product, product_name, product_name_en, status, sum_assured, premium, "
                  "frequency, next_due_date, cash_value, bank_name, account_last4")


def load_sqlite(url: str, policies: int) -> None:
    engine = service_db.get_engine(url)
    customers, rows = _rows(policies)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.executemany(f"INSERT INTO customers ({CUSTOMER_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                           (line.rstrip("\n").split("\t") for line in customers))
        cursor.executemany(f"INSERT INTO policies ({POLICY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           (line.rstrip("\n").split("\t") for line in rows))
        raw.commit()
        cursor.execute("ANALYZE")
    finally:
        raw.close()


def load_postgresql(url: str, policies: int) -> None:
    engine = service_db.get_engine(url)
    customers, rows = _rows(policies)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.copy_expert(f"COPY customers ({CUSTOMER_COLUMNS}) FROM STDIN", io.StringIO("".join(customers)))
        cursor.copy_expert(f"COPY policies ({POLICY_COLUMNS}) FROM STDIN", io.StringIO("".join(rows)))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def timed(action: Callable[[], object]) -> tuple:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def best_of(action: Callable[[], object], runs: int = 5) -> tuple:
    """The fastest of a few runs: a query asked every minute, not a one-off."""
    timings = [timed(action) for _ in range(runs)]
    return min(t for t, _ in timings), timings[0][1]


def sender_query(engine):
    """The SQL of reminders.delivery.customers_with_due_reminders, as the sender runs it."""
    from actions.service.core.db import session_scope
    from actions.service.core.models import Reminder
    from actions.service.reminders.delivery import CUSTOMERS_PER_BATCH, _claimable

    with session_scope() as session:
        return (session.query(Reminder.customer_id).filter(_claimable(NOW)).distinct()
                .order_by(Reminder.customer_id).limit(CUSTOMERS_PER_BATCH).statement)


def _tidy(engine) -> None:
    """What autovacuum does in a running PostgreSQL after a big UPDATE (dead index entries go); ANALYZE."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE reminders"))
    else:
        _sql(engine, "ANALYZE")


def _scans(now: datetime) -> Dict[str, object]:
    """The first scan ever (everything inside a window), the next day's (what a normal day adds),
    and a repeat the same day (what every later scan costs)."""
    from actions.service.reminders.due import scan_due_reminders

    results: Dict[str, object] = {}
    results["first"], first = timed(lambda: scan_due_reminders(now))
    results["next_day"], next_day = timed(lambda: scan_due_reminders(now + timedelta(days=1)))
    results["repeat"], repeat = timed(lambda: scan_due_reminders(now + timedelta(days=1)))
    assert repeat.created == 0
    results["recorded"], results["new_next_day"] = first.created, next_day.created
    return results


def _sql(engine, *statements: str) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def measure(url: str, load: Callable[[str, int], None], policies: int) -> Dict[str, object]:
    from actions.service.reminders.delivery import customers_with_due_reminders

    engine = service_db.get_engine(url)
    results: Dict[str, object] = {}
    results["load"], _ = timed(lambda: load(url, policies))
    _sql(engine, "ANALYZE")
    results["indexed"] = _scans(NOW)
    _sql(engine, "DELETE FROM reminders", f"DROP INDEX {DUE_DATE_INDEX}", "ANALYZE")
    results["no_index"] = _scans(NOW)
    assert results["no_index"]["recorded"] == results["indexed"]["recorded"], "the index changed what is found"
    _sql(engine, f"CREATE INDEX {DUE_DATE_INDEX} ON policies (next_due_date)")

    # History: everything sent but a few; the sender asks who still has something to send.
    _sql(engine, "UPDATE reminders SET status = 'sent' WHERE id >= "
                 f"(SELECT MIN(id) FROM reminders) + {STILL_TO_SEND}")
    _tidy(engine)
    # Timed as SQL on an open connection: the database's part, not the ORM's (~5 ms per call).
    query = sender_query(engine)
    with engine.connect() as connection:
        results["find_to_send"], found = best_of(lambda: connection.execute(query).all())
    _sql(engine, f"DROP INDEX {SEND_INDEX}")
    _tidy(engine)
    with engine.connect() as connection:
        results["find_to_send_no_index"], found_again = best_of(lambda: connection.execute(query).all())
    assert found == found_again and found == [(c,) for c in customers_with_due_reminders(NOW)]
    return results


def _use(url: str) -> None:
    import os

    os.environ["ANXIN_DATABASE_URL"] = url
    clear_service_caches()


def bench_sqlite(policies: int) -> Dict[str, object]:
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'bench.db'}"
        _use(url)
        try:
            return measure(url, load_sqlite, policies)
        finally:
            service_db.get_engine(url).dispose()
            clear_service_caches()


def bench_postgresql(policies: int) -> Optional[Dict[str, object]]:
    with ExitStack() as cleanup:
        try:
            url = cleanup.enter_context(throwaway_database("anxin_bench"))
        except NoPostgres as error:
            print(f"PostgreSQL: skipped ({error})")
            return None
        _use(url)
        try:
            return measure(url, load_postgresql, policies)
        finally:
            service_db.get_engine(url).dispose()
            clear_service_caches()


def report(database: str, results: Dict[str, object], policies: int) -> None:
    indexed, bare = results["indexed"], results["no_index"]
    print(f"{database}: {policies:,} policies loaded in {results['load']:.1f} s")
    print(f"  scan                      with {DUE_DATE_INDEX}   without it")
    for key, label in (("first", f"first ever ({indexed['recorded']:,} new)"),
                       ("next_day", f"next day ({indexed['new_next_day']:,} new)"), ("repeat", "repeat (0 new)")):
        print(f"  {label:<26}{indexed[key]:6.2f} s{'':18}{bare[key]:6.2f} s")
    print(f"  customers to send to      {results['find_to_send'] * 1000:6.1f} ms (without the partial index "
          f"{SEND_INDEX}: {results['find_to_send_no_index'] * 1000:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"Reminder scan benchmark on {machine()}")
    report("SQLite", bench_sqlite(args.policies), args.policies)
    results = bench_postgresql(args.policies)
    if results:
        report("PostgreSQL", results, args.policies)


if __name__ == "__main__":
    main()
