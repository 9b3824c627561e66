"""The reminder scheduler: scan for due premiums, then send what is due. Plain Python, no Rasa.

    python -m actions.service.scheduler            # forever: sends every ANXIN_REMINDER_INTERVAL_SECONDS (60),
                                                   # scans every ANXIN_REMINDER_SCAN_SECONDS (900)
    python -m actions.service.scheduler --once     # one scan and one send round
    python -m actions.service.scheduler --dry-run  # list what would be sent, change nothing

Rasa's own ReminderScheduled lives in one process's memory (lost on restart, RasaHQ/rasa #2716) and
is bound to the channel it was made on (#4340); this keeps every reminder in the business database,
so any number of these processes can run, restart, or die mid-send (actions/service/reminders/delivery.py).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from datetime import datetime
from typing import Optional

from actions.service.core.settings import get_settings
from actions.service.reminders.delivery import DispatchReport, dispatch_due
from actions.service.reminders.due import ScanResult, preview_due_reminders, scan_due_reminders, utc_naive

logger = logging.getLogger("anxin.scheduler")

THEME_INTERVAL_SECONDS = 86400  # voice of the customer: themes are grouped again once a day


def process_owner() -> str:
    """Who holds a lease: host, pid and a random part (pids repeat across restarts and containers)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_once(now: Optional[datetime] = None, owner: Optional[str] = None,
             scan: bool = True) -> tuple[Optional[ScanResult], DispatchReport]:
    """One cycle: record what became due (unless scan=False), then send what can be sent now."""
    now = utc_naive(now)
    scanned = scan_due_reminders(now) if scan else None
    report = dispatch_due(now, owner or process_owner())
    return scanned, report


def _summary(scan: Optional[ScanResult], report: DispatchReport) -> str:
    sent = ", ".join(f"{k}={v}" for k, v in sorted(report.deliveries.items())) or "nothing sent"
    scanned = f"scan {scan.day}: {scan.created} new reminders" if scan else "send round"
    return (f"{scanned}; {report.customers} customers, "
            f"{report.messages} new messages, {sent}; held for quiet hours {report.held_for_quiet_hours}, "
            f"cancelled {report.cancelled}, to retry {report.retried}")


def print_dry_run(now: Optional[datetime] = None) -> int:
    planned = preview_due_reminders(utc_naive(now))
    if not planned:
        print("nothing would be sent")
    for item in sorted(planned, key=lambda p: (p.customer_id, p.policy_number, p.stage)):
        print(f"customer {item.customer_id}  {item.policy_number}  due {item.due_date}  "
              f"{item.stage:<10} {item.state}")
    return len(planned)


def run_forever(interval: float, scan_interval: float, stop: threading.Event) -> None:
    owner = process_owner()
    logger.info("reminder scheduler %s started: sends every %ss, scans every %ss", owner, interval, scan_interval)
    last_scan = last_themes = None
    while not stop.is_set():
        try:
            due_for_scan = last_scan is None or time.monotonic() - last_scan >= scan_interval
            scan, report = run_once(owner=owner, scan=due_for_scan)
            if due_for_scan:
                last_scan = time.monotonic()
                due_for_themes = last_themes is None or time.monotonic() - last_themes >= THEME_INTERVAL_SECONDS
                _listen_to_customers(due_for_themes)
                if due_for_themes:
                    last_themes = time.monotonic()
            # A quiet minute is logged only when debugging; anything done is always logged.
            busy = (scan and scan.created) or report.customers
            logger.log(logging.INFO if busy else logging.DEBUG, _summary(scan, report))
        except Exception:  # a database hiccup must not end the scheduler; the next round retries
            logger.exception("reminder round failed")
        stop.wait(interval)
    logger.info("reminder scheduler %s stopped", owner)


def _listen_to_customers(group_themes: bool) -> None:
    """Voice of the customer rides on the scan cadence: collect voices and contacts, send and read fix surveys."""
    try:
        # Imported here: `--once` runs (tests, cron) do not pay for scikit-learn and Jieba.
        from actions.service.voice_of_customer.commands import listen

        logger.info("voice of the customer: %s", listen(group_themes))
    except Exception:  # analytics must never stop the reminders
        logger.exception("voice-of-the-customer round failed")


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description="Premium reminders: scan and send.")
    parser.add_argument("--once", action="store_true", help="one scan and one send round, then exit")
    parser.add_argument("--dry-run", action="store_true", help="list what would be sent; change nothing")
    parser.add_argument("--interval", type=float,
                        default=get_settings().reminder_interval_seconds,
                        help="seconds between send rounds")
    parser.add_argument("--scan-interval", type=float,
                        default=get_settings().reminder_scan_seconds,
                        help="seconds between scans for newly due premiums")
    parser.add_argument("--now", help="run as if it were this UTC time (ISO 8601), to replay a day")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    now = datetime.fromisoformat(args.now) if args.now else None
    if args.dry_run:
        print_dry_run(now)
        return 0
    if args.once or now is not None:
        scan, report = run_once(now)
        print(_summary(scan, report))
        return 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_forever(args.interval, args.scan_interval, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
