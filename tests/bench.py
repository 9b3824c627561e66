"""`make bench`: intent accuracy per language, REST turn latency, and throughput.

Runs the real servers (action server + Rasa) on their own ports and a fresh database.
"""
from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.nlu_eval import DEVELOPMENT, GATE, evaluate, load_agent, summary
from tests.servers import MODEL, Servers

# One customer's turns: small talk, an FAQ, verification, a policy answer, premiums.
CONVERSATION = ["你好", "宽限期是多久", "查保单", "13800000001", "5821", "保费什么时候交", "谢谢"]
LATENCY_TURNS = 210
CONCURRENT_CONVERSATIONS = 16
THROUGHPUT_SECONDS = 30


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    return (f"{cpu}, {os.cpu_count()} cores, {memory_kb / 1024 / 1024:.0f} GB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def turn(session: requests.Session, url: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    response = session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    response.raise_for_status()
    return time.perf_counter() - started


def latency(url: str) -> list:
    session, timings = requests.Session(), []
    sender = f"bench-{uuid.uuid4().hex[:8]}"
    for index in range(LATENCY_TURNS):
        if index % len(CONVERSATION) == 0:
            sender = f"bench-{uuid.uuid4().hex[:8]}"
        timings.append(turn(session, url, sender, CONVERSATION[index % len(CONVERSATION)]))
    return timings[len(CONVERSATION):]  # the first conversation warms caches


def throughput(url: str) -> tuple:
    stop_at = time.time() + THROUGHPUT_SECONDS
    counts = [0] * CONCURRENT_CONVERSATIONS
    errors = [0] * CONCURRENT_CONVERSATIONS

    def customer(slot: int) -> None:
        session, index = requests.Session(), 0
        sender = f"load-{slot}-{uuid.uuid4().hex[:6]}"
        while time.time() < stop_at:
            if index % len(CONVERSATION) == 0:
                sender = f"load-{slot}-{uuid.uuid4().hex[:6]}"
            try:
                turn(session, url, sender, CONVERSATION[index % len(CONVERSATION)])
                counts[slot] += 1
            except requests.RequestException:
                errors[slot] += 1
            index += 1

    started = time.time()
    with ThreadPoolExecutor(CONCURRENT_CONVERSATIONS) as pool:
        list(pool.map(customer, range(CONCURRENT_CONVERSATIONS)))
    return sum(counts) / (time.time() - started), sum(errors)


def main() -> None:
    print(f"machine: {machine()}")
    agent = load_agent(str(MODEL))
    evaluate(str(MODEL), GATE, agent)  # warm-up, so the parse times below are steady
    print(summary("development split (tests/nlu_heldout)", evaluate(str(MODEL), DEVELOPMENT, agent)))
    gate = evaluate(str(MODEL), GATE, agent)
    print(summary("gate split (tests/nlu_gate)", gate))
    for language, text, expected, got in gate.errors[:40]:
        print(f"  miss [{language}] {text!r}: expected {expected}, got {got}")

    workdir = Path(tempfile.mkdtemp(prefix="anxin-bench-"))
    servers = Servers(workdir, rasa_port=17005, action_port=17055,
                      extra_env={"ANXIN_RATE_LIMIT_PER_MINUTE": "100000", "ANXIN_RATE_LIMIT_BURST": "100000"})
    servers.start()
    try:
        timings = sorted(latency(servers.url))
        p50 = statistics.median(timings) * 1000
        p95 = timings[int(len(timings) * 0.95) - 1] * 1000
        print(f"single-user REST turn latency over {len(timings)} turns: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        rate, failed = throughput(servers.url)
        print(f"sustained throughput, {CONCURRENT_CONVERSATIONS} concurrent conversations for "
              f"{THROUGHPUT_SECONDS} s: {rate:.1f} turns/s ({failed} failed)")
    finally:
        servers.stop()


if __name__ == "__main__":
    main()
