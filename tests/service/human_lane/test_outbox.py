"""The outbox of channels that cannot push, in the real database: each message handed over once, in order."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from actions.service.human_lane import outbox


def test_messages_wait_in_order_and_go_out_once(demo_db):
    outbox.put("s1", {"text": "one", "metadata": {"author": "human", "agent": "王芳"}})
    outbox.put("s1", {"text": "two"})
    outbox.put("s2", {"text": "someone else's"})
    assert outbox.take("s1") == [{"text": "one", "metadata": {"author": "human", "agent": "王芳"}}, {"text": "two"}]
    assert outbox.take("s1") == []
    assert outbox.take("s2") == [{"text": "someone else's"}]


def test_only_the_newest_are_kept(demo_db):
    for n in range(outbox.KEEP + 5):
        outbox.put("away", {"text": str(n)})
    kept = outbox.take("away")
    assert [m["text"] for m in kept] == [str(n) for n in range(5, outbox.KEEP + 5)]


def test_two_servers_taking_at_once_hand_each_message_over_once(postgres_db):
    for n in range(20):
        outbox.put("busy", {"text": str(n)})
    with ThreadPoolExecutor(4) as pool:
        batches = list(pool.map(lambda _: outbox.take("busy"), range(4)))
    handed = [m["text"] for batch in batches for m in batch]
    assert sorted(handed, key=int) == [str(n) for n in range(20)]
