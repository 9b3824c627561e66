"""Rasa's RedisLockStore, with a waiting turn that cannot be left waiting for ever (issue 14).

Rasa 3.6 (rasa/core/lock_store.py `LockStore._acquire_lock`) queues each turn of a conversation
behind a numbered ticket that expires after TICKET_LOCK_LIFETIME, and waits while its ticket is not
the first. If the waiting ticket itself expires first, it is removed from the queue and can never be
first again: the turn waits until its client gives up, and the customer's next turns queue behind
nothing. That happens when a server is killed during a turn (its ticket expires; the customer's
retry on another server issued its ticket a moment later and may miss the one second in between on
a busy event loop), and when a waiting turn's event loop stalls past the lifetime. Here a turn whose
ticket is gone queues again with a new one. Tickets are still only ever served in order.

Rasa also changes a lock by reading it, changing it and writing it back: two servers issuing a ticket
for one conversation at the same moment can both read "last issued 3", both write ticket 4, and run
two turns of one conversation at once. Here every change is one Redis transaction (WATCH the key,
change, MULTI/EXEC; start again when another server wrote in between).
"""
from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, List, Optional, Text, TypeVar

import redis
from rasa.core import lock_store as rasa_lock_store
from rasa.core.lock import TicketLock

Result = TypeVar("Result")

logger = logging.getLogger(__name__)


class RedisLockStore(rasa_lock_store.RedisLockStore):
    """bot/serve.py configures it from ANXIN_LOCK_STORE_URL (endpoint type bot.lock_store.RedisLockStore)."""

    def __init__(self, endpoint_config: Any) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _change(self, conversation_id: Text, change: Callable[[TicketLock], Result]) -> Result:
        """Apply `change` to the stored lock (a new one if none) in one transaction; an empty lock is deleted."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored: Optional[bytes] = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(stored)) if stored else self.create_lock(conversation_id)
                    result = change(lock)
                    pipe.multi()
                    if lock.tickets:
                        pipe.set(key, lock.dumps())
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except redis.WatchError:  # another server changed this lock meanwhile: read it again
                    continue

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = rasa_lock_store.LOCK_LIFETIME) -> int:
        try:
            return self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime))
        except redis.RedisError as error:
            raise rasa_lock_store.LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        self._change(conversation_id, TicketLock.remove_expired_tickets)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Rasa removes the ticket, then deletes the lock if nobody waits: here `_change` does both at once."""
        self.finish_serving(conversation_id, ticket_number)

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
