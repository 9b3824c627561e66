"""Fuzzing the front doors of a real server pair with hypothesis: whatever arrives, no 5xx and no silence.

REST webhook, socket.io, voice messages, the console login and API, documents and the checkout: a
bounded number of generated cases each (make test runs them all), against the session's servers.
"""
from __future__ import annotations

import json
import queue
import time
import uuid

import pytest
import requests
import socketio
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.channels.rate_limited import polite
from tests.bot.console.console_client import CSRF

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
                derandomize=True)  # the same cases every run: a failure here is reproducible

# Any code point, lone surrogates included; short, like what people (and scripts) type.
any_text = st.text(st.characters(blacklist_categories=()), max_size=60)
tricky_text = st.sampled_from(["/EXTERNAL_human_resolved", "<script>alert(1)</script>", "' OR 1=1 --", "\ud800",
                               "/affirm", '/inform{"payment_method":"alipay"}', "/restart", "", " ", "0" * 1000,
                               "13811112222", "0000", "/request_human", "%s%n", "\x00"])  # no real customer's numbers
texts = any_text | tricky_text
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
sender_ids = st.uuids().map(str) | st.text(max_size=200) | st.integers() | st.none() | st.just("x" * 300)


def as_json(value) -> bytes:
    return json.dumps(value).encode()  # lone surrogates are escaped (\ud800), as browsers send them


chat_bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(as_json),
    st.fixed_dictionaries({"sender": sender_ids, "message": texts | json_values},
                          optional={"metadata": json_values, "input_channel": json_values}).map(as_json),
)


def assert_no_server_error(reply: requests.Response) -> None:
    assert reply.status_code < 500, (reply.status_code, reply.text[:300])


@FUZZ
@given(body=chat_bodies, content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
def test_rest_webhook(servers, body, content_type):
    reply = requests.post(f"{servers.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": content_type},
                          timeout=60)
    assert_no_server_error(reply)
    if reply.status_code == 200:
        assert isinstance(reply.json(), list)


@FUZZ
@given(body=st.binary(max_size=2000), content_type=st.sampled_from(["audio/wav", "audio/ogg", "audio/mpeg",
                                                                   "audio/webm", "text/plain", ""]),
       sender=st.text(max_size=200))
def test_voice_message(servers, body, content_type, sender):
    reply = requests.post(f"{servers.url}/webhooks/voice/message", params={"sender": sender}, data=body,
                          headers={"Content-Type": content_type}, timeout=120)
    assert_no_server_error(reply)


@FUZZ
@given(body=chat_bodies, csrf=st.booleans())
def test_console_login(servers, body, csrf):
    headers = {"Content-Type": "application/json", **(CSRF if csrf else {})}
    assert_no_server_error(requests.post(f"{servers.url}/webhooks/console/login", data=body, headers=headers,
                                         timeout=60))


@FUZZ
@given(path=st.sampled_from(["/api/me", "/api/queue", "/api/tickets/{}", "/api/tickets/{}/messages",
                             "/api/tickets/{}/take", "/api/tickets/{}/reply", "/ticket/{}", "/login", "/"]),
       ticket=st.integers(min_value=-2, max_value=10 ** 12).map(str) | st.text(max_size=20),
       method=st.sampled_from(["GET", "POST"]), body=chat_bodies,
       cookie=st.text(st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters=";,"), max_size=60))
def test_console_api(servers, path, ticket, method, body, cookie):
    url = f"{servers.url}/webhooks/console" + path.format(requests.utils.quote(ticket, safe=""))
    reply = requests.request(method, url, data=body, headers={**CSRF, "Cookie": f"anxin_console={cookie}"},
                             timeout=60, allow_redirects=False)
    assert_no_server_error(reply)


@FUZZ
@given(token=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80),
       method=st.sampled_from(["GET", "POST"]), body=chat_bodies, where=st.sampled_from(["/", "/pay/", "/pay/callback"]))
def test_documents_and_checkout(servers, token, method, body, where):
    path = "/pay/callback" if where == "/pay/callback" else where + requests.utils.quote(token, safe="")
    reply = requests.request(method, f"{servers.url}/webhooks/documents{path}", data=body, timeout=60,
                             headers={"Content-Type": "application/json"})
    assert_no_server_error(reply)


def connected_client(servers) -> socketio.Client:
    """A socket.io client whose bot messages collect in `client.replies`."""
    replies: "queue.Queue[dict]" = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", replies.put)
    client.connect(servers.url, socketio_path="/socket.io", transports=["polling"])
    client.replies = replies
    return client


@pytest.fixture
def socket_client(servers):
    client = connected_client(servers)
    yield client
    client.disconnect()


def test_socketio(servers, socket_client):
    @FUZZ
    @given(data=json_values | st.fixed_dictionaries({"message": texts | json_values, "session_id": sender_ids},
                                                    optional={"customData": json_values}))
    def emit(data):
        if not clients[-1].connected:  # dropped: a new connection, as the web page makes one
            clients.append(connected_client(servers))
        clients[-1].emit("user_uttered", data)

    # The fuzz client has (rarely: 2 runs in about 6) been found disconnected mid-fuzz with nothing in
    # the server's log, on a shared pair; the cause is not known. What must hold is
    # that garbage does not end connections as a rule, and that the server goes on answering.
    clients = [socket_client]
    emit()
    assert len(clients) <= 3, f"{len(clients) - 1} of 60 fuzz emits found the connection dropped"
    for client in clients[1:]:
        client.disconnect()
    # After all that, the server still answers a new customer on socket.io and on REST. The fuzz may
    # have emptied this machine's per-IP bucket (how far depends on the machine's speed): asked to
    # slow down, the customer waits a moment and says it again, as a person would.
    customer = connected_client(servers)
    try:
        session_id = uuid.uuid4().hex
        greeting = {"message": "你好", "session_id": session_id}
        customer.emit("session_request", {"session_id": session_id})
        customer.emit("user_uttered", greeting)
        slow_down, deadline = polite("slow_down", None), time.monotonic() + 180
        while "小安" not in (text := customer.replies.get(timeout=max(1.0, deadline - time.monotonic())).get("text")
                             or ""):
            if text == slow_down:
                time.sleep(1)
                customer.emit("user_uttered", greeting)
    finally:
        customer.disconnect()
    assert requests.get(f"{servers.url}/webhooks/rest/", timeout=10).status_code == 200
