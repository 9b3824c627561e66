"""What every processor of one call reads: who is calling, in which language, the audio clock."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Dict, List, Optional, Set

from voice.phone.serializer import CallSerializer
from voice.phone.turns import TurnSettings

logger = logging.getLogger(__name__)


@dataclass
class BotReply:
    messages: List[dict]  # Rasa's collected output: {"text", "buttons", ...}
    language: str  # the conversation's language slot after the turn
    handed_off: bool = False  # a person has the call now (the conversation is paused)


class BotUnavailable(Exception):
    """The bot server could not be reached for a turn (down, restarting, timed out): the call apologises
    and offers a person, instead of going silent. Hooks raise it; a turn that failed inside Rasa does not."""


@dataclass
class CallHooks:
    """What a call needs from the bot server (the Rasa channel provides these)."""

    bot_turn: Callable[[str, str, dict], Awaitable[BotReply]]  # (sender, text, metadata); may raise BotUnavailable
    set_slots: Callable[[str, dict], Awaitable[None]]  # (sender, {slot: value}); may raise BotUnavailable


@dataclass
class CallState:
    """The call's shared facts; each processor owns its own state besides these."""

    serializer: CallSerializer
    send_message: Callable[[str], Awaitable[None]]
    hooks: CallHooks
    settings: TurnSettings
    sender_id: str = ""
    metadata: Dict[str, str] = field(default_factory=dict)
    language: str = "zh-Hans"
    dialect: str = ""
    audio_clock: float = 0.0  # seconds of caller audio received: the clock of every call timer
    waiting_since: Optional[float] = None  # when the last prompt finished, while we wait for an answer
    handoff_requested: bool = False  # 0 pressed: a person is on the way, a turn under way is dropped
    # While a person has the call (the conversation is paused) the caller's words go to the agent's
    # console and the agent's replies are spoken by `say`: no repeat prompts, no second handoff.
    handed_off: bool = False
    closed: bool = False
    tasks: Set[asyncio.Task] = field(default_factory=set)

    async def send(self, message: str) -> None:
        if not self.closed:
            await self.send_message(message)

    def spawn(self, coroutine: Awaitable) -> asyncio.Task:
        """Run a coroutine beside the frames (ASR, TTS, the Rasa turn); its failure is logged."""
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("phone call %s: task failed", self.sender_id, exc_info=task.exception())
