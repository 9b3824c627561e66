"""Listen on the event broker: Rasa's Pika broker publishes every conversation event (JSON, with its
sender_id) to a durable RabbitMQ queue; this consumer stores them in batches through the same ingestion as
the tracker store, so an event read from both is counted once (ingest.event_key).

Messages are acknowledged only after their batch is stored: a consumer that dies re-reads them, and
the UNIQUE event key makes the second reading harmless.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import List, Optional

import aio_pika

from actions.service.voice_of_customer.ingest import ingest_conversation_events

logger = logging.getLogger(__name__)

BATCH = 500
EMPTY_WAIT_SECONDS = 0.5  # how long to wait when the queue is empty


async def consume(url: str, queue_name: str, idle_seconds: Optional[float] = None, stop: Optional[asyncio.Event] = None) -> int:
    """Consume until `stop` is set, or until the queue stayed empty for `idle_seconds`; returns how many were read.

    Messages are fetched one by one (basic.get) and stored in batches of BATCH, or whenever the queue is empty.
    """
    connection = await aio_pika.connect_robust(url)
    read = 0
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        pending: List[aio_pika.abc.AbstractIncomingMessage] = []
        idle = 0.0
        while not (stop and stop.is_set()):
            message = await queue.get(fail=False)
            if message is not None:
                pending.append(message)
                idle = 0.0
                if len(pending) >= BATCH:
                    read += await _store(pending)
                    pending = []
                continue
            if pending:
                read += await _store(pending)
                pending = []
            if idle_seconds is not None and idle >= idle_seconds:
                break
            await asyncio.sleep(EMPTY_WAIT_SECONDS)
            idle += EMPTY_WAIT_SECONDS
    return read


async def _store(messages: List[aio_pika.abc.AbstractIncomingMessage]) -> int:
    events = []
    for message in messages:
        try:
            event = json.loads(message.body)
        except ValueError:
            logger.warning("event broker: a message that is not JSON was dropped")
            continue
        if isinstance(event, dict):
            events.append(event)
    await asyncio.to_thread(ingest_conversation_events, events, "broker")
    for message in messages:
        await message.ack()
    return len(messages)
