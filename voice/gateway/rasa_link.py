"""The gateway's way to the bot: Rasa's gateway connector (bot/channels/gateway_connector.py) over HTTP.

Every call carries the shared secret. When Rasa cannot be reached (no connection, a timeout, a
balancer's 502/503/504 while it restarts) a call raises BotUnavailable, the exception a phone call's
hooks raise (voice/phone/call_state.py); any other refusal is a fault of ours and raises RasaRefused.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Tuple

import aiohttp

from voice.gateway.protocol import CONNECTOR_PREFIX, LANE, PREFERENCE, SECRET_HEADER, SLOTS, TURN
from voice.phone.call_state import BotUnavailable

logger = logging.getLogger(__name__)

TURN_TIMEOUT_S = 90.0  # a turn on a busy 2-core machine with the action server in between
QUICK_TIMEOUT_S = 15.0  # slots, the customer's language, the lane's outbox
UNAVAILABLE_STATUSES = (502, 503, 504)


class RasaRefused(RuntimeError):
    """The connector answered, but refused (a wrong secret, a bad request): a configuration fault."""


class RasaLink:
    """One HTTP client to one Rasa server (or the balancer in front of several)."""

    def __init__(self, rasa_url: str, secret: str) -> None:
        self.base = rasa_url.rstrip("/") + CONNECTOR_PREFIX
        self.secret = secret
        self._session: Optional[aiohttp.ClientSession] = None

    async def _post(self, path: str, payload: Dict[str, Any], timeout: float = QUICK_TIMEOUT_S) -> Dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={SECRET_HEADER: self.secret})
        try:
            async with self._session.post(self.base + path, json=payload,
                                          timeout=aiohttp.ClientTimeout(total=timeout)) as answer:
                if answer.status in UNAVAILABLE_STATUSES:
                    raise BotUnavailable(f"Rasa answered {answer.status}")
                if answer.status != 200:
                    raise RasaRefused(f"Rasa's connector refused {path}: {answer.status}")
                return await answer.json()
        except (aiohttp.ClientConnectionError, asyncio.TimeoutError) as error:
            raise BotUnavailable(f"Rasa could not be reached ({type(error).__name__})") from error

    async def turn(self, sender: str, text: str, channel: str, metadata: Optional[dict]) -> Dict[str, Any]:
        """One customer message through the bot -> {messages, lane, language, dialect, handed_off}."""
        return await self._post(TURN, {"sender": sender, "text": text, "channel": channel,
                                       "metadata": metadata or {}}, timeout=TURN_TIMEOUT_S)

    async def set_slots(self, sender: str, slots: Dict[str, Any]) -> None:
        await self._post(SLOTS, {"sender": sender, "slots": slots})

    async def preference(self, sender: str) -> Tuple[Optional[str], str]:
        """(the conversation's language slot, the verified customer's stored dialect)."""
        answer = await self._post(PREFERENCE, {"sender": sender})
        return answer.get("language"), answer.get("dialect") or ""

    async def lane(self, sender: str) -> List[Dict[str, Any]]:
        """What the human lane left for this live call since the last look (the agent's words, the take-back)."""
        return (await self._post(LANE, {"sender": sender})).get("messages") or []

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
