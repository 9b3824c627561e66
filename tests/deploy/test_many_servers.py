"""Several Rasa servers on Rasa's own distributed parts (issue 14), with the real services.

Two server pairs (Rasa + action server each) share a throwaway PostgreSQL business database and
tracker store, Redis as Rasa's lock store and RabbitMQ as its event broker (a queue of this
module's own). A customer's turns alternate between the two Rasa servers, as a balancer would send
them. Skipped where PostgreSQL, Redis or RabbitMQ does not answer on 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import List

import pytest
import requests

from tests.servers import MODEL, ROOT, TEST_TOKEN, Servers, new_sender, texts

REDIS_URL = "redis://127.0.0.1:6379/14"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Two Rasa servers (each with its action server) sharing PostgreSQL, Redis and RabbitMQ."""
    from tests.throwaway_postgres import NoPostgres, throwaway_database

    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it first)")
    for name, port in (("Redis", 6379), ("RabbitMQ", 5672)):
        if not answers(port):
            pytest.skip(f"no {name} on 127.0.0.1:{port}")
    with ExitStack() as cleanup:
        try:
            business = cleanup.enter_context(throwaway_database("anxin_scale"))
            trackers = cleanup.enter_context(throwaway_database("anxin_scale_tracker"))
        except NoPostgres as error:
            pytest.skip(str(error))
        queue = f"anxin_test_events_{uuid.uuid4().hex[:8]}"
        shared = {"ANXIN_DATABASE_URL": business, "ANXIN_TRACKER_STORE_URL": trackers,
                  "ANXIN_LOCK_STORE_URL": REDIS_URL, "ANXIN_EVENT_BROKER_URL": AMQP_URL, "ANXIN_EVENT_QUEUE": queue,
                  "ANXIN_RATE_LIMIT_BURST": "100"}
        servers = [Servers(tmp_path_factory.mktemp(f"rasa{n}"), extra_env=shared) for n in (1, 2)]
        servers[0].start()  # seeds the shared database first; then the second starts on it
        cleanup.callback(servers[0].stop)
        servers[1].start()
        cleanup.callback(servers[1].stop)
        cleanup.callback(_delete_queue, queue)
        yield servers, queue


def say_alternating(servers: List[Servers], sender: str, words: List[str]) -> List[str]:
    """One turn on each server in turn; the replies' texts."""
    return [texts(servers[n % 2].say(sender, text)) for n, text in enumerate(words)]


def test_a_conversation_alternating_between_servers_keeps_forms_language_and_verification(pair):
    servers, _ = pair
    sender = new_sender()
    asked, _, verified = say_alternating(servers, sender, ["I want to check my policy", "13700000003", "7788"])
    assert not re.search(r"P20\d{8}", asked)  # nothing before verification
    assert "P2023000005" in verified  # the form's phone answer (server 2) reached the ID check (server 1)
    followed_up = texts(servers[1].say(sender, "when is my premium due"))
    assert re.search(r"[A-Za-z]{4}", followed_up) and not re.search(r"[\u4e00-\u9fff]", followed_up)  # English kept
    assert "phone" not in followed_up.lower()  # still verified on the other server: no second identity check


def test_concurrent_turns_of_many_customers_on_both_servers_all_answered(pair):
    servers, _ = pair

    def customer(n: int) -> List[str]:
        return say_alternating(servers if n % 2 else servers[::-1], new_sender(), ["你好", "保费什么时候交", "谢谢"])

    with ThreadPoolExecutor(8) as pool:
        conversations = list(pool.map(customer, range(8)))
    assert all(reply.strip() for replies in conversations for reply in replies)


def test_an_agent_reply_reaches_the_customer_on_whichever_server_answers_next(pair):
    servers, _ = pair
    sign_in = ("from actions.service.human_lane.agents import create_agent, login\n"
               "create_agent('scale-agent', 'a long test password', '李明', skills=('zh-Hans', 'en'))\n"
               "assert login('scale-agent', 'a long test password')\n")
    subprocess.run([sys.executable, "-c", sign_in], env=servers[0].env, cwd=ROOT, check=True, capture_output=True)
    sender = new_sender()
    assert "人工客服" in texts(servers[0].say(sender, "转人工"))
    # The agent takes the ticket, then speaks (a queued customer would also hear their place in the queue).
    reply = ("import asyncio\n"
             "from actions.service.human_lane.agents import login\n"
             "from actions.service.human_lane.handoff import active_ticket_for_sender, take_ticket\n"
             "from bot.channels.human_lane import HUMAN, LaneMessage, send_to_customer\n"
             f"ticket = active_ticket_for_sender({sender!r})\n"
             "assert take_ticket(ticket.id, login('scale-agent', 'a long test password').agent.id)\n"
             f"assert asyncio.run(send_to_customer({sender!r}, 'rest', LaneMessage('您好，我是李明。', HUMAN, '李明')))\n")
    subprocess.run([sys.executable, "-c", reply], env=servers[0].env, cwd=ROOT, check=True, capture_output=True)
    handed = servers[1].say(sender, "好的")  # the other server answers the next turn
    assert [m["text"] for m in handed] == ["👩‍💼 人工客服 李明：您好，我是李明。"]
    assert servers[0].say(sender, "还在吗") == []  # handed over once; the bot stays silent while paused


def test_every_event_reaches_the_queue_once_in_order(pair):
    servers, queue = pair
    sender = new_sender()
    say_alternating(servers, sender, ["你好", "我要查保单", "13800000001", "5821", "谢谢"])
    stored = requests.get(f"{servers[0].url}/conversations/{sender}/tracker", params={"token": TEST_TOKEN},
                          timeout=30).json()["events"]
    expected = [(e["event"], e["timestamp"]) for e in stored]
    deadline, published = time.time() + 30, []
    while time.time() < deadline:
        published += [e for e in asyncio.run(_drain(queue)) if e.get("sender_id") == sender]
        if len(published) >= len(expected):
            break
        time.sleep(0.5)
    assert [(e["event"], e["timestamp"]) for e in published] == expected  # each once, in the conversation's order
    said = [e.get("text") for e in published if e["event"] == "user"]
    assert said[:3] == ["你好", "我要查保单", "13800000001"] and "5821" not in json.dumps(published)  # ID redacted


async def _drain(queue_name: str) -> List[dict]:
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        messages = []
        while True:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                return messages
            messages.append(json.loads(message.body))


def _delete_queue(queue_name: str) -> None:
    async def delete() -> None:
        import aio_pika

        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue_name)

    asyncio.run(delete())
