"""Issue 12 item 1: the real action server (`python -m actions.server`) answers only Rasa.

It listens on loopback, runs a call only with the shared secret, and a failing action answers
without echoing the tracker (Rasa logs whatever the action server answers).
"""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from tests.servers import ROOT, free_port, network_address, port_in_use

SECRET = "action-secret-for-this-test"
ID_NUMBER = "110105195005125821"  # 王建国's made-up full ID number


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    """The action server as scripts/run.sh starts it, on a seeded database of its own."""
    workdir = tmp_path_factory.mktemp("action-server")
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "ACTION_PORT": str(port),
           "ANXIN_ACTION_SECRET": SECRET, "ANXIN_SECRET_KEY": "test-secret",
           "ANXIN_DATABASE_URL": f"sqlite:///{workdir / 'anxin.db'}", "HOME": str(workdir),
           "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    subprocess.run([sys.executable, "-m", "actions.service.seed"], env=env, cwd=ROOT, check=True, capture_output=True)
    log = open(workdir / "actions.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "actions.server"], env=env, cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        try:
            if requests.get(f"{url}/health", timeout=2).ok:
                break
        except requests.RequestException:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("action server did not start:\n" + (workdir / "actions.log").read_text(errors="replace")[-3000:])
    yield url, port, workdir
    process.terminate()
    process.wait(timeout=20)


def action_call(action: str, slots: dict, sender: str = "attacker") -> dict:
    """The body Rasa posts to /webhook, written by hand as the issue's attacker did."""
    return {
        "next_action": action, "sender_id": sender, "version": "3.6.21", "domain": {},
        "tracker": {"sender_id": sender, "slots": slots, "latest_message": {"intent": {"name": "query_policy"},
                                                                             "entities": [], "text": "查保单"},
                    "events": [], "paused": False, "followup_action": None, "active_loop": {},
                    "latest_action_name": "action_listen"},
    }


WANG_FORGED = {"verified": True, "customer_id": 1.0, "language": "zh-Hans"}


@pytest.mark.parametrize("headers", [{}, {"X-Anxin-Action-Secret": "wrong"}, {"X-Anxin-Action-Secret": ""},
                                     {"X-Anxin-Action-Secret": SECRET[:-1]}, {"Authorization": f"Bearer {SECRET}"}])
def test_a_call_without_the_shared_secret_is_refused(action_server, headers):
    url, _, _ = action_server
    answer = requests.post(f"{url}/webhook", json=action_call("action_query_policy", WANG_FORGED), headers=headers,
                           timeout=30)
    assert answer.status_code == 401
    assert "P20" not in answer.text
    assert requests.get(f"{url}/actions", headers=headers, timeout=10).status_code == 401


def test_with_the_secret_a_forged_verified_slot_still_shows_nothing(action_server):
    url, _, _ = action_server
    answer = requests.post(f"{url}/webhook", json=action_call("action_query_policy", WANG_FORGED),
                           headers={"X-Anxin-Action-Secret": SECRET}, timeout=30)
    assert answer.status_code == 200
    body = answer.json()
    assert [r.get("response") for r in body["responses"]] == ["utter_need_verification"]
    assert "P20" not in answer.text and "6800" not in answer.text


def test_a_failing_action_does_not_echo_or_log_the_tracker(action_server):
    url, _, workdir = action_server
    broken = {"next_action": "action_query_policy", "tracker": f"13800000001 {ID_NUMBER}"}
    answer = requests.post(f"{url}/webhook", json=broken, headers={"X-Anxin-Action-Secret": SECRET}, timeout=30)
    assert answer.status_code == 500
    assert ID_NUMBER not in answer.text and "13800000001" not in answer.text  # Rasa logs this answer
    log = (workdir / "actions.log").read_text(errors="replace")
    assert "action_query_policy failed" in log and ID_NUMBER not in log


def test_the_action_port_is_not_reachable_on_a_network_address(action_server):
    _, port, _ = action_server
    address = network_address()
    assert not port_in_use(port, address), f"the action server answers on {address}:{port}"
    assert port_in_use(port)  # Rasa's side still works
