"""Start the real action server and Rasa server for tests and benchmarks, on their own ports."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import requests

ROOT = Path(__file__).resolve().parents[1]
MODEL = Path(os.environ.get("ANXIN_MODEL", ROOT / "models" / "anxin.tar.gz"))
TEST_TOKEN = "test-token-not-a-secret"
TEST_ACTION_SECRET = "test-action-secret-not-a-secret"
TEST_GATEWAY_SECRET = "test-gateway-secret-not-a-secret"
# Lets two checkouts run their server tests at once without a port clash.
PORT_OFFSET = int(os.environ.get("ANXIN_TEST_PORT_OFFSET", "0"))
# Made-up channel secrets of the shared pairs (tests/conftest.py), which the tests send in turn.
TELEGRAM_TOKEN = "123456789:AAFakeTokenForTheLocalBotApi_0123456"
TELEGRAM_SECRET = "test-webhook-secret"
PHONE_TOKEN = "phone-test-token"
TWILIO_AUTH = "twilio-test-auth-token"  # the Twilio account's auth token: it signs the stream handshake
READINESS_POLL_SECONDS = 0.25  # a started pair is in use within a quarter second of being ready
TEST_HOTLINE = "400-123-4567"  # the configured urgent number of the standard pair (not the built-in default)


def require_model() -> None:
    import pytest

    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it first)")


def spoken_reply_env(workdir: Path) -> Dict[str, str]:
    """Voice replies in workdir: edge-tts is unreachable in tests, so espeak-ng speaks after 1.5 s."""
    return {"ANXIN_TTS_EDGE_TIMEOUT": "1.5", "ANXIN_TTS_CACHE": str(workdir / "tts"),
            "ANXIN_VOICE_REPLY_DIR": str(workdir / "replies")}
ACTIONS, RASA, GATEWAY = 0, 1, 2  # a Servers pair's processes, in this order


def free_port() -> int:
    """A port nothing listens on now: each server pair gets its own, so fixtures never answer for each other."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(3)
        return probe.connect_ex((host, port)) == 0


def network_address() -> str:
    """This machine's IPv4 address on its network (where another host would connect), or skip the test."""
    import pytest

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))  # sends nothing: only picks the outgoing interface
            address = probe.getsockname()[0]
        except OSError:
            address = ""
    if not address or address.startswith("127."):
        pytest.skip("this machine has no non-loopback IPv4 address")
    return address


def shifted_port(port: int) -> int:
    """A test server port, shifted by ANXIN_TEST_PORT_OFFSET."""
    return port + PORT_OFFSET


@dataclass
class Servers:
    """A running pair started as scripts/run.sh does (actions.server, bot.serve, and the voice gateway beside
    them), with their own database files."""

    workdir: Path
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)
    extra_env: Dict[str, str] = field(default_factory=dict)
    # Load Whisper while Rasa starts, as the product does: only for pairs that hear voice (voice messages,
    # the phone). The others skip ~1.5 s of CPU that would compete with the model's load.
    preload_voice: bool = False
    processes: List[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.rasa_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update({
            "PYTHONPATH": str(ROOT),
            "ANXIN_DATABASE_URL": f"sqlite:///{self.workdir / 'anxin.db'}",
            "ANXIN_TRACKER_STORE_URL": f"sqlite:///{self.workdir / 'tracker.db'}",
            "ANXIN_PUBLIC_URL": self.url,
            "ANXIN_SECRET_KEY": "test-secret",
            "ACTION_PORT": str(self.action_port),
            "ANXIN_ACTION_SECRET": TEST_ACTION_SECRET,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "RASA_AUTH_TOKEN": TEST_TOKEN,
            "ANXIN_VOICE_GATEWAY_PORT": str(self.gateway_port),
            "ANXIN_VOICE_GATEWAY_URL": self.gateway_url,
            "ANXIN_GATEWAY_RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
            "ANXIN_GATEWAY_SECRET": TEST_GATEWAY_SECRET,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false",
            "ANXIN_DEMO_MODE": "1",  # the demo checkout settles, as in `make run`
            "ANXIN_VOICE_PRELOAD": "1" if self.preload_voice else "0",
            # Every test client is 127.0.0.1: the per-client limit is for strangers, not the test suite.
            "ANXIN_CLIENT_RATE_LIMIT_PER_MINUTE": "100000",
            "ANXIN_CLIENT_RATE_LIMIT_BURST": "100000",
        })
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = float(os.environ.get("ANXIN_TEST_SERVER_START_SECONDS", "240"))) -> "Servers":
        require_model()
        busy = [port for port in (self.rasa_port, self.action_port, self.gateway_port) if port_in_use(port)]
        if busy:  # another server would answer the readiness check for ours
            raise RuntimeError(f"ports already in use: {busy}")
        subprocess.run([sys.executable, "-m", "actions.service.seed"], env=self.env, cwd=ROOT, check=True,
                       capture_output=True)
        self.processes = [self.spawn(ACTIONS), self.spawn(RASA), self.spawn(GATEWAY)]
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(p.poll() is not None for p in self.processes):
                break
            try:
                ready = requests.get(f"{self.url}/status", params={"token": TEST_TOKEN}, timeout=2)
                actions_ready = requests.get(f"http://localhost:{self.action_port}/health", timeout=2)
                if ready.ok and ready.json().get("model_file") and actions_ready.ok and self.gateway_ready():
                    return self
            except requests.RequestException:
                pass
            time.sleep(READINESS_POLL_SECONDS)
        self.stop()
        logs = "\n".join(f"--- {name}:\n" + (self.workdir / name).read_text(errors="replace")[-3000:]
                         for name in ("rasa.log", "gateway.log") if (self.workdir / name).exists())
        raise RuntimeError(f"servers did not start:\n{logs}")

    def gateway_ready(self) -> bool:
        try:
            return requests.get(f"{self.gateway_url}/health", timeout=2).ok
        except requests.RequestException:
            return False

    def spawn(self, which: int) -> subprocess.Popen:
        """Start the action server (ACTIONS), the Rasa server (RASA) or the voice gateway (GATEWAY) of this
        pair, logging to its file; also how a test restarts one it killed (`processes[which] = spawn(which)`)."""
        log_name, command = {
            ACTIONS: ("actions.log", ["-m", "actions.server"]),
            RASA: ("rasa.log", ["-m", "bot.serve", "--model", str(MODEL), "--endpoints", "bot/endpoints.yml",
                                "--credentials", "bot/credentials.yml", "--port", str(self.rasa_port),
                                "--enable-api"]),
            GATEWAY: ("gateway.log", ["-m", "voice.gateway"]),
        }[which]
        with open(self.workdir / log_name, "ab") as log:
            return subprocess.Popen([sys.executable, *command], env=self.env, cwd=ROOT, stdout=log,
                                    stderr=subprocess.STDOUT)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = []

    def say(self, sender: str, message: Optional[str]) -> List[dict]:
        """One customer turn through the REST channel; returns the bot's messages."""
        response = requests.post(f"{self.url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": message}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()


def texts(messages: List[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def verify(servers, sender, phone, last4, first_message):
    """Ask something protected, then give phone and ID digits; returns the replies after the ID."""
    asked = texts(servers.say(sender, first_message))
    assert not re.search(r"P20\d{8}", asked), "policy data before verification"
    servers.say(sender, phone)
    return texts(servers.say(sender, last4))


@contextmanager
def socketio_chat(url: str) -> Iterator[Tuple["object", "object", str]]:
    """A web-chat customer on socket.io: (client, queue of bot_uttered messages, session id), disconnected after."""
    import queue

    import socketio

    replies: "queue.Queue[dict]" = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", replies.put)
    session_id = uuid.uuid4().hex
    client.connect(url, socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session_id})
        yield client, replies, session_id
    finally:
        client.disconnect()
