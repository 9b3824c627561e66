"""Human lane: from a customer's `/request_human` to the conversation in a logged-in console (`make bench`).

Starts the real action + Rasa servers, logs an agent into the console and keeps its live event
stream (server-sent events) open, as the queue page does. Each try is a new customer sending
`/request_human` over the REST webhook; the clock stops when the console's stream first carries
the new ticket. Reported: p50/p95 of that, of the customer's REST turn alone, and both again with
200 conversations already waiting (the queue event then carries 200+ tickets).
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

from tests.bench import machine
from tests.bot.console.console_client import Console, EventWatcher, create_agents
from tests.servers import ROOT, Servers, new_sender

TRIES = 20
BACKLOG = 200
LANGUAGES = ["zh-Hans", "zh-Hant", "yue", "en"]

_OPEN_BACKLOG = """
import sys
from actions.service.human_lane.handoff import open_handoff_ticket
from actions.service.core.interactions import Interaction
languages = ["zh-Hans", "zh-Hant", "yue", "en"]
transcript = [("customer", "我想问一下保单"), ("bot", "请告诉我您的手机号码。"), ("customer", "转人工")]
for number in range(int(sys.argv[1])):
    interaction = Interaction(f"bench-backlog-{number}", None, "rest", languages[number % 4], "request_human")
    assert open_handoff_ticket(interaction, "request_human", transcript, summary="转人工").staffed
"""


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def one_try(servers: Servers, watcher: EventWatcher) -> Tuple[float, float]:
    """(seconds until the console's stream shows the ticket, seconds of the customer's REST turn)."""
    sender = new_sender()
    start = time.perf_counter()
    servers.say(sender, "/request_human")
    answered = time.perf_counter()
    watcher.wait_for(lambda: sender in watcher.first_seen, timeout=120)
    return watcher.first_seen[sender] - start, answered - start


def run(servers: Servers, watcher: EventWatcher, label: str) -> None:
    one_try(servers, watcher)  # warm-up, not counted
    results = [one_try(servers, watcher) for _ in range(TRIES)]
    shown, turns = [r[0] * 1000 for r in results], [r[1] * 1000 for r in results]
    queue_events = [body for event, body in watcher.events if event == "queue"]
    size = len(json.dumps(queue_events[-1], ensure_ascii=False).encode()) / 1024 if queue_events else 0
    print(f"{label}: /request_human -> ticket in the console's live stream over {TRIES} tries: "
          f"p50 {statistics.median(shown):.0f} ms, p95 {percentile(shown, 0.95):.0f} ms "
          f"(the customer's REST turn alone: p50 {statistics.median(turns):.0f} ms, "
          f"p95 {percentile(turns, 0.95):.0f} ms; last queue event {size:.0f} KB)")


def main() -> None:
    print(machine())
    with tempfile.TemporaryDirectory() as workdir:
        servers = Servers(Path(workdir), extra_env={"ANXIN_SERVICE_HOURS": "00:00-24:00",
                                                    "ANXIN_RATE_LIMIT_BURST": "1000"}).start()
        try:
            create_agents(servers, [("bench", "Bench", "agent", LANGUAGES)])
            console = Console(servers)
            assert console.login("bench").status_code == 200  # the agent is online: handoffs queue
            watcher = EventWatcher(console)
            try:
                run(servers, watcher, "empty queue")
                subprocess.run([sys.executable, "-c", _OPEN_BACKLOG, str(BACKLOG)], env=servers.env, cwd=ROOT,
                               check=True, capture_output=True)
                watcher.wait_for(lambda: "bench-backlog-0" in watcher.first_seen, timeout=60)
                run(servers, watcher, f"{BACKLOG} conversations waiting")
            finally:
                watcher.close()
        finally:
            servers.stop()


if __name__ == "__main__":
    main()
