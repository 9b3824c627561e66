"""A console user over HTTP (login cookie, CSRF header, server-sent events) and agent accounts for tests."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import requests

from tests.browser.chromium import wait_for
from tests.servers import ROOT, Servers

CSRF = {"X-Anxin-Console": "1"}
PASSWORD = "console-test-pw-1"  # test accounts only

_CREATE_AGENTS = """
import json, sys
from actions.service.human_lane.agents import create_agent
for username, display_name, role, skills in json.loads(sys.argv[1]):
    create_agent(username, sys.argv[2], display_name, role=role, skills=tuple(skills))
"""


def create_agents(servers: Servers, accounts: List[Tuple[str, str, str, List[str]]]) -> None:
    """(username, display name, role, skills) accounts in the servers' database, all with PASSWORD."""
    subprocess.run([sys.executable, "-c", _CREATE_AGENTS, json.dumps(accounts), PASSWORD], env=servers.env,
                   cwd=ROOT, check=True, capture_output=True)


class Console:
    """One browser's worth of console: a cookie jar, and the CSRF header on every POST."""

    def __init__(self, servers: Servers):
        self.base = f"{servers.url}/webhooks/console"
        self.http = requests.Session()

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        return self.http.post(f"{self.base}/login", json={"username": username, "password": password},
                              headers=CSRF, timeout=30)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(f"{self.base}{path}", timeout=30, allow_redirects=False, **kwargs)

    def post(self, path: str, payload: Optional[dict] = None, headers: Optional[dict] = None) -> requests.Response:
        return self.http.post(f"{self.base}{path}", json=payload or {}, headers=CSRF if headers is None else headers,
                              timeout=60, allow_redirects=False)

    def ticket_of(self, sender_id: str) -> Optional[dict]:
        return next((t for t in self.get("/api/queue").json()["tickets"] if t["sender_id"] == sender_id), None)


def sse_events(response: requests.Response) -> Iterator[Tuple[str, str]]:
    """(event, data) of a server-sent event stream, as the chunks arrive; comments come as ("", comment)."""
    buffer = ""
    for chunk in response.iter_content(chunk_size=None, decode_unicode=True):
        buffer += chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            event, data = "message", []
            for line in block.split("\n"):
                if line.startswith(":"):
                    yield "", line[1:].strip()
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
            if data:
                yield event, "\n".join(data)


class EventWatcher:
    """Reads a console's event stream in a thread and notes when each sender first appears in the queue."""

    def __init__(self, console: Console, query: str = ""):
        self.response = console.http.get(f"{console.base}/api/events{query}", stream=True, timeout=(10, 60))
        self.response.raise_for_status()
        self.first_seen: Dict[str, float] = {}
        self.events: List[Tuple[str, dict]] = []
        self.comments = 0
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for event, data in sse_events(self.response):
                now = time.perf_counter()
                if not event:
                    self.comments += 1
                    continue
                body = json.loads(data)
                self.events.append((event, body))
                if event == "queue":
                    for ticket in body["tickets"]:
                        self.first_seen.setdefault(ticket["sender_id"], now)
        except (requests.RequestException, ValueError, AttributeError):
            pass  # closed

    def wait_for(self, condition: Callable[[], object], timeout: float = 60) -> object:
        return wait_for(condition, timeout)  # the reader thread timestamps events; this only waits

    def close(self) -> None:
        self.response.close()
