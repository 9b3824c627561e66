"""socket.io across several Rasa servers and workers (issue 14): an emit reaches its room wherever the
customer's socket is connected.

Each server keeps its own sockets. An emit into a conversation's room (the bot's answer to a turn
that another server handled is not one of those; the human lane's agent replies and queue-place
updates are) must reach the server holding that socket. python-socketio's Redis manager publishes
every emit on a Redis channel that all servers read; it is used when the Redis lock store is
configured (ANXIN_LOCK_STORE_URL), the same Redis. Its wire format is pickle, and unpickling what a
Redis channel carries would run any code someone with write access to Redis put there: this one
speaks JSON. The balancer keeps one socket's requests on one server (deploy/haproxy.cfg, a cookie).
"""
from __future__ import annotations

import json
import logging
from typing import Any, AsyncIterator, Dict

import socketio
from redis.exceptions import RedisError

from actions.service.core.settings import get_settings

logger = logging.getLogger(__name__)

CHANNEL = "anxin-socketio"


class JsonRedisManager(socketio.AsyncRedisManager):
    """python-socketio's Redis manager with JSON instead of pickle on the channel."""

    async def _publish(self, data: Dict[str, Any]) -> Any:
        message = json.dumps(data, ensure_ascii=False, default=list)
        try:
            return await self.redis.publish(self.channel, message)
        except RedisError:  # a dropped connection: connect again once, as the parent does
            logger.warning("socket.io: publishing to Redis failed; reconnecting once")
            self._redis_connect()
            return await self.redis.publish(self.channel, message)

    async def _listen(self) -> AsyncIterator[Dict[str, Any]]:
        async for message in super()._listen():
            try:
                decoded = json.loads(message)
            except (TypeError, ValueError):  # not ours (or pickle): never unpickled
                logger.warning("socket.io: a message on the Redis channel that is not JSON was ignored")
                continue
            if isinstance(decoded, dict):
                yield decoded


def share_rooms_across_servers(sio: socketio.AsyncServer) -> None:
    """With the Redis lock store configured, `sio`'s emits reach sockets on every server."""
    url = get_settings().lock_store_url
    if not url:
        return  # one server, one worker: the default in-memory manager
    if sio.manager_initialized:
        raise RuntimeError("the socket.io manager must be replaced before the first connection")
    sio.manager = JsonRedisManager(url, channel=CHANNEL)
    sio.manager.set_server(sio)
