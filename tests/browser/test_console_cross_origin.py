"""Issue 12 item 2 in real headless Chromium: a page of another origin cannot use the agent's console.

The agent logs in on the console (localhost:<rasa port>). A page served from localhost:<another
port> is same-site to it, so the browser sends the SameSite=Strict cookie along; the operator has
even listed that origin in ANXIN_CORS_ORIGINS (say, to embed the web chat). Its script still
cannot read the queue or write a note, while the customer REST channel does answer it.
"""
from __future__ import annotations

import http.server
import json
import threading

import pytest
import requests

from tests.bot.console.console_client import CSRF, PASSWORD, Console, create_agents
from tests.browser.chromium import wait_for
from tests.servers import Servers, free_port, new_sender

ATTACK_PAGE = """<!doctype html><meta charset="utf-8"><title>loading</title><script>
const rasa = "RASA", ticket = TICKET, base = rasa + "/webhooks/console";
async function attempt(init, url) {
  try {
    const answer = await fetch(url, {credentials: "include", ...init});
    return {status: answer.status, body: (await answer.text()).slice(0, 300)};
  } catch (error) { return {error: String(error)}; }
}
(async () => {
  const json = {"Content-Type": "application/json"};
  const results = {
    queue: await attempt({}, base + "/api/queue"),
    note: await attempt({method: "POST", headers: {...json, "X-Anxin-Console": "1"},
                         body: JSON.stringify({text: "planted by another origin"})}, `${base}/api/tickets/${ticket}/note`),
    blind_note: await attempt({method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
                               body: JSON.stringify({text: "planted blind"})}, `${base}/api/tickets/${ticket}/note`),
    rest: await attempt({method: "POST", headers: json,
                         body: JSON.stringify({sender: "cross-origin-visitor", message: "你好"})},
                        rasa + "/webhooks/rest/webhook"),
  };
  document.body.dataset.results = JSON.stringify(results);
  document.title = "done";
})();
</script>"""


@pytest.fixture(scope="module")
def other_origin():
    """A static page server on another port of the same host: another origin, the same site."""
    port = free_port()
    pages = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{port}", pages
    server.shutdown()


@pytest.fixture(scope="module")
def servers(tmp_path_factory, other_origin):
    origin, _ = other_origin
    running = Servers(tmp_path_factory.mktemp("cross-origin"),
                      extra_env={"ANXIN_SERVICE_HOURS": "00:00-24:00", "ANXIN_CORS_ORIGINS": origin}).start()
    try:
        create_agents(running, [("lin", "小林 Lin", "agent", ["zh-Hans", "zh-Hant", "yue", "en"])])
        yield running
    finally:
        running.stop()


def log_in(driver, servers) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{servers.url}/webhooks/console/login")
    driver.find_element(By.ID, "login-username").send_keys("lin")
    driver.find_element(By.ID, "login-password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    wait_for(lambda: driver.execute_script("return document.body.dataset.page") == "queue")


def test_another_origin_cannot_read_the_queue_or_write_a_note(servers, other_origin, browser):
    origin, pages = other_origin
    agent = Console(servers)
    assert agent.login("lin").status_code == 200
    sender = new_sender()
    servers.say(sender, "/request_human")
    ticket = wait_for(lambda: agent.ticket_of(sender), timeout=30)

    log_in(browser, servers)
    assert browser.get_cookie("anxin_console"), "the agent's cookie is in the browser"
    pages["/attack.html"] = ATTACK_PAGE.replace("RASA", servers.url).replace("TICKET", str(ticket["id"]))
    browser.get(f"{origin}/attack.html")
    wait_for(lambda: browser.title == "done", timeout=60)
    results = json.loads(browser.execute_script("return document.body.dataset.results"))

    assert "error" in results["queue"], results["queue"]  # the browser let the page read nothing
    assert "error" in results["note"], results["note"]
    assert results["rest"].get("status") == 200, results["rest"]  # the listed origin does reach the chat
    notes = [m["text"] for m in agent.get(f"/api/tickets/{ticket['id']}/messages").json()["messages"]]
    assert not any("planted" in text for text in notes), notes


def test_the_console_answers_no_cors_and_refuses_another_origin_with_the_cookie(servers, other_origin):
    origin, _ = other_origin
    agent = Console(servers)
    assert agent.login("lin").status_code == 200
    base = agent.base
    preflight = requests.options(f"{base}/api/queue", timeout=30, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-anxin-console"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    for headers in ({"Origin": origin}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "null"}):
        read = agent.get("/api/queue", headers=headers)
        assert read.status_code == 403 and "tickets" not in read.text
        assert "Access-Control-Allow-Credentials" not in read.headers
        assert agent.post("/api/tickets/1/note", {"text": "x"}, headers={**CSRF, **headers}).status_code == 403
    assert agent.get("/api/queue", headers={"Origin": servers.url}).status_code == 200  # its own page
    assert agent.get("/api/queue").status_code == 200  # no browser, no Origin: the cookie decides


def test_the_customer_channels_answer_only_listed_origins(servers, other_origin):
    origin, _ = other_origin
    listed = requests.options(f"{servers.url}/webhooks/rest/webhook", timeout=30,
                              headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert listed.headers.get("Access-Control-Allow-Origin") == origin
    stranger = requests.options(f"{servers.url}/webhooks/rest/webhook", timeout=30,
                                headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
