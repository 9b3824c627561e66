"""Rasa's RedisLockStore, with a waiting turn that cannot be left waiting for ever (issue 14).

Rasa 3.6 (rasa/core/lock_store.py `LockStore._acquire_lock`) queues each turn of a conversation
behind a numbered ticket that expires after TICKET_LOCK_LIFETIME, and waits while its ticket is not
the first. If the waiting ticket itself expires first, it is removed from the queue and can never be
first again: the turn waits until its client gives up, and the customer's next turns queue behind
nothing. That happens when a server is killed during a turn (its ticket expires; the customer's
retry on another server issued its ticket a moment later and may miss the one second in between on
a busy event loop), and when a waiting turn's event loop stalls past the lifetime. Here a turn whose
ticket is gone queues again with a new one. Tickets are still only ever served in order.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, List, Text

from rasa.core import lock_store as rasa_lock_store
from rasa.core.lock import TicketLock

logger = logging.getLogger(__name__)


class RedisLockStore(rasa_lock_store.RedisLockStore):
    """bot/serve.py configures it from ANXIN_LOCK_STORE_URL (endpoint type bot.lock_store.RedisLockStore)."""

    def __init__(self, endpoint_config: Any) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = rasa_lock_store.LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        tickets = [self.issue_ticket(conversation_id, lock_lifetime)]
        try:
            yield await self._wait_for_turn(conversation_id, tickets, lock_lifetime, wait_time_in_seconds)
        finally:
            self.cleanup(conversation_id, tickets[-1])

    async def _wait_for_turn(self, conversation_id: Text, tickets: List[int], lifetime: float,
                             wait_time_in_seconds: float) -> TicketLock:
        """The lock once the newest of `tickets` is served; a new ticket (appended) whenever that one expired."""
        while True:
            lock = self.get_lock(conversation_id)
            if lock is not None and not lock.is_locked(tickets[-1]):
                return lock
            if lock is None or all(ticket.number != tickets[-1] for ticket in lock.tickets):
                logger.warning("a turn of a conversation outlived its lock ticket while waiting; it queues again")
                tickets.append(self.issue_ticket(conversation_id, lifetime))
                continue
            await asyncio.sleep(wait_time_in_seconds)
            self.update_lock(conversation_id)
