"""`make bench` (issue 14): closed-loop REST load on Anxin beside a stock moodbot, in one run.

Scripted customers (greet, a premium question, phone, ID digits, an FAQ, thanks) talk to Anxin;
the same number of customers talk to Rasa's own `rasa init` moodbot, trained in a temporary
directory from the same venv. Each customer sends its next turn as soon as the last one is
answered (closed loop). The loads alternate (moodbot, Anxin, moodbot, Anxin...) so both see the
same machine. Printed: p50/p95 latency and turns/s, failed and empty replies, and Anxin/moodbot.

    python -m tests.bench_load [--customers 1,16] [--seconds 30] [--cluster http://localhost:5005]
    python -m tests.bench_load --url http://localhost:5005 --customers 4 --seconds 20   # one load only

--cluster adds the same loads on a running `make cluster` (its balancer's URL).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence
from urllib.parse import urlsplit

import requests

from tests.bench import machine
from tests.servers import Servers, free_port

ANXIN_SCRIPT = ("你好", "保费什么时候交", "13800000001", "5821", "宽限期是多久", "谢谢")
MOODBOT_SCRIPT = ("hi", "I am sad", "yes", "great", "bye")
WARM_UP_TURNS = 12


@dataclass
class Load:
    """What one closed-loop load measured."""

    customers: int
    seconds: float = 0.0
    latencies: List[float] = field(default_factory=list)
    failed: int = 0  # an error status, a timeout, a refused connection
    empty: int = 0  # answered with no message at all

    @property
    def turns_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(round(share * len(ordered))) - 1)] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p95(self) -> float:
        return self.percentile(0.95)


def run_load(url: str, script: Sequence[str], customers: int, seconds: float) -> Load:
    """`customers` scripted customers for `seconds`, each starting a new conversation after the script."""
    result, lock = Load(customers), threading.Lock()
    stop_at = time.monotonic() + seconds

    def customer(slot: int) -> None:
        session, index, sender = requests.Session(), 0, ""
        while time.monotonic() < stop_at:
            if index % len(script) == 0:
                sender = f"load-{slot}-{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            try:
                response = session.post(f"{url}/webhooks/rest/webhook",
                                         json={"sender": sender, "message": script[index % len(script)]}, timeout=60)
                ok, empty = response.status_code == 200, response.status_code == 200 and not response.json()
            except (requests.RequestException, ValueError):
                ok, empty = False, False
            elapsed = time.perf_counter() - started
            with lock:
                if not ok:
                    result.failed += 1
                elif empty:
                    result.empty += 1
                else:
                    result.latencies.append(elapsed)
            index += 1

    started = time.monotonic()
    with ThreadPoolExecutor(customers) as pool:
        list(pool.map(customer, range(customers)))
    result.seconds = time.monotonic() - started
    return result


def warm_up(url: str, script: Sequence[str]) -> None:
    run_load(url, script, 1, 0.1)  # at least one turn: the first turn of a process loads lazily
    sender = f"warm-{uuid.uuid4().hex[:8]}"
    for index in range(WARM_UP_TURNS):
        requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": script[index % len(script)]},
                      timeout=120)


BENCH_REDIS = "redis://127.0.0.1:6379/13"  # the lock store both servers get with --workers > 1


def redis_lock_store_yaml(url: str, key_prefix: str) -> str:
    """A stock Rasa endpoints.yml lock store on `url` (Rasa allows several workers only with one)."""
    parts = urlsplit(url)
    return (f"lock_store:\n  type: redis\n  url: {parts.hostname}\n  port: {parts.port or 6379}\n"
            f"  db: {(parts.path or '/0').lstrip('/') or 0}\n  key_prefix: {key_prefix}\n")


class Moodbot:
    """Rasa's stock `rasa init` assistant, trained in a temporary directory, served by `rasa run`."""

    def __init__(self, workdir: Path, workers: int = 1) -> None:
        self.workdir, self.port, self.process, self.workers = workdir, free_port(), None, workers

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self, timeout: float = 600) -> "Moodbot":
        rasa = [sys.executable, "-m", "rasa"]
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
        if not list(self.workdir.glob("models/*.tar.gz")):  # trained once per directory
            subprocess.run([*rasa, "init", "--no-prompt", "--init-dir", str(self.workdir)], cwd=self.workdir,
                           env=env, check=True, capture_output=True)
        if self.workers > 1:  # the same distributed lock store as Anxin's, so both pay for it
            env["SANIC_WORKERS"] = str(self.workers)
            (self.workdir / "endpoints.yml").write_text(redis_lock_store_yaml(BENCH_REDIS, "moodbot"))
        log = open(self.workdir / "rasa.log", "ab")
        self.process = subprocess.Popen([*rasa, "run", "--port", str(self.port), "--interface", "127.0.0.1",
                                         "--model", "models"], cwd=self.workdir, env=env, stdout=log,
                                        stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline and self.process.poll() is None:
            try:
                answer = requests.post(f"{self.url}/webhooks/rest/webhook", json={"sender": "ready", "message": "hi"},
                                       timeout=5)
                if answer.ok and answer.json():
                    return self
            except (requests.RequestException, ValueError):
                pass
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"the moodbot did not start (log: {self.workdir / 'rasa.log'})")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


def table(rows: Dict[str, Dict[int, Load]], baseline: str = "moodbot") -> str:
    lines = ["| server | customers | p50 ms | p95 ms | turns/s | failed | empty | p95 vs moodbot | turns/s vs moodbot |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, loads in rows.items():
        for customers, load in sorted(loads.items()):
            base = rows.get(baseline, {}).get(customers)
            p95_ratio = f"{load.p95 / base.p95:.2f}x" if base and name != baseline else ""
            rate_ratio = f"{load.turns_per_second / base.turns_per_second:.2f}x" if base and name != baseline else ""
            lines.append(f"| {name} | {customers} | {load.p50:.0f} | {load.p95:.0f} | {load.turns_per_second:.1f} | "
                         f"{load.failed} | {load.empty} | {p95_ratio} | {rate_ratio} |")
    return "\n".join(lines)


def compare(targets: Dict[str, tuple], customer_counts: Sequence[int], seconds: float) -> Dict[str, Dict[int, Load]]:
    """Every target at every customer count, alternating targets for each count."""
    results: Dict[str, Dict[int, Load]] = {name: {} for name in targets}
    for customers in customer_counts:
        for name, (url, script) in targets.items():
            results[name][customers] = load = run_load(url, script, customers, seconds)
            print(f"  {name}, {customers} customers: p50 {load.p50:.0f} ms, p95 {load.p95:.0f} ms, "
                  f"{load.turns_per_second:.1f} turns/s, {load.failed} failed, {load.empty} empty", flush=True)
    return results


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", default="1,16", help="comma-separated customer counts")
    parser.add_argument("--seconds", type=float, default=30, help="length of each load")
    parser.add_argument("--url", help="load only this running Anxin server (no moodbot, no servers started)")
    parser.add_argument("--cluster", help="also load a running `make cluster` at this URL")
    parser.add_argument("--workers", type=int, default=1,
                        help="Sanic workers for both servers (more than 1: both on a Redis lock store)")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.customers.split(",") if c.strip()]
    if args.url:
        warm_up(args.url, ANXIN_SCRIPT)
        print(table(compare({"anxin": (args.url, ANXIN_SCRIPT)}, counts, args.seconds)))
        return
    print(f"machine: {machine()}")
    workdir = Path(tempfile.mkdtemp(prefix="anxin-load-"))
    (workdir / "moodbot").mkdir()
    scale_out = {"SANIC_WORKERS": str(args.workers), "ANXIN_LOCK_STORE_URL": BENCH_REDIS} if args.workers > 1 else {}
    moodbot, anxin = Moodbot(workdir / "moodbot", args.workers), Servers(workdir, extra_env={
        "ANXIN_RATE_LIMIT_PER_MINUTE": "100000", "ANXIN_RATE_LIMIT_BURST": "100000", **scale_out})
    print(f"Sanic workers per server: {args.workers}", flush=True)
    stops: List[Callable[[], None]] = []
    try:
        print("training and starting the stock moodbot, starting Anxin ...", flush=True)
        moodbot.start()
        stops.append(moodbot.stop)
        anxin.start()
        stops.append(anxin.stop)
        targets = {"moodbot": (moodbot.url, MOODBOT_SCRIPT), "anxin": (anxin.url, ANXIN_SCRIPT)}
        if args.cluster:
            targets["anxin cluster"] = (args.cluster, ANXIN_SCRIPT)
        for url, script in targets.values():
            warm_up(url, script)
        print(table(compare(targets, counts, args.seconds)))
    finally:
        for stop in reversed(stops):
            stop()


if __name__ == "__main__":
    main()
