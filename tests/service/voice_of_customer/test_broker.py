"""The event-broker consumer against the machine's RabbitMQ: events published as Rasa's Pika broker does are
stored, and the same events read again from the tracker store add nothing."""
from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from actions.service.core.db import session_scope
from actions.service.voice_of_customer import ingest
from actions.service.voice_of_customer.tables import Contact, ConversationEvent, Voice
from tests.service.voice_of_customer.conversations import CHANNELS, broker_messages, long_ago, low_rating_conversation, save

aio_pika = pytest.importorskip("aio_pika")
from actions.service.voice_of_customer.broker import consume  # noqa: E402

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"


async def _publish(queue_name: str, messages) -> None:
    connection = await aio_pika.connect_robust(RABBITMQ)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue_name, durable=True)
        for message in messages:
            await channel.default_exchange.publish(aio_pika.Message(json.dumps(message).encode()), routing_key=queue_name)


async def _delete(queue_name: str) -> None:
    connection = await aio_pika.connect_robust(RABBITMQ)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue_name)


@pytest.fixture
def queue_name():
    name = f"anxin_voc_test_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_publish(name, []))
    except Exception as error:  # no RabbitMQ here
        pytest.skip(f"no RabbitMQ on 127.0.0.1: {error}")
    yield name
    asyncio.run(_delete(name))


def test_broker_events_are_stored_and_the_tracker_store_copy_counts_once(demo_db, tmp_path, queue_name):
    start = long_ago()
    chats = {f"{channel}-b": low_rating_conversation(channel, language, start) for channel, language in CHANNELS.items()}
    messages = broker_messages(chats)
    asyncio.run(_publish(queue_name, messages + messages[:5]))  # a few delivered twice, as after a reconnect
    assert asyncio.run(consume(RABBITMQ, queue_name, idle_seconds=2)) == len(messages) + 5
    with session_scope() as session:
        stored = (session.query(ConversationEvent).count(), session.query(Contact).count(),
                  session.query(Voice).filter_by(kind=ingest.LOW_RATING_COMMENT).count())
    assert stored[1:] == (len(chats), len(chats))
    path = str(tmp_path / "tracker.db")
    save(path, chats)
    assert ingest.collect_from_tracker_store(f"sqlite:///{path}") > 0
    with session_scope() as session:
        again = (session.query(ConversationEvent).count(), session.query(Contact).count(),
                 session.query(Voice).filter_by(kind=ingest.LOW_RATING_COMMENT).count())
    assert again == stored
