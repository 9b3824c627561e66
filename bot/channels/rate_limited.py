"""Rasa's REST and socket.io channels with a guard in front of the bot, and the human lane behind it.

The guard answers politely, in the customer's language, instead of passing on what the bot
should never see: a sender who writes faster than a person can (a per-sender token bucket),
an empty or null message (socket.io's null crashes Rasa 3.6's handler), or a wall of text.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from actions.service.formatting import mask_digits_in_text
from actions.service.language import detect_language
from bot.channels.human_lane import SocketIOLine, relaying

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000  # longer texts are cut: nobody types more to a hotline bot
RATE_PER_MINUTE = float(os.environ.get("ANXIN_RATE_LIMIT_PER_MINUTE", "30"))
RATE_BURST = int(os.environ.get("ANXIN_RATE_LIMIT_BURST", "10"))

_POLITE = {
    "slow_down": {
        "zh-Hans": "您发得有点快，请稍等一下再发。",
        "zh-Hant": "您發得有點快，請稍等一下再發。",
        "yue": "您打得有啲快，請等一陣先再發。",
        "en": "You're sending messages a little fast. Please wait a moment.",
    },
    "empty": {
        "zh-Hans": "请说说您需要什么帮助。Please tell me what you need.",
    },
    "failed": {
        "zh-Hans": "抱歉，系统刚才出了点问题。请再说一次，或者说“转人工”。",
        "zh-Hant": "抱歉，系統剛才出了點問題。請再說一次，或者說「轉人工」。",
        "yue": "唔好意思，系統頭先有啲問題。請再講一次，或者講「轉人工」。",
        "en": "Sorry, something went wrong on our side. Please try again, or say \"human\".",
    },
}


def polite(kind: str, text: Optional[str]) -> str:
    variants = _POLITE[kind]
    language = detect_language(text or "")
    return variants.get(language or "", variants["zh-Hans"])


class TokenBucketLimiter:
    """Per-sender token bucket: a burst of messages is fine, a sustained flood is slowed."""

    def __init__(self, per_minute: float = RATE_PER_MINUTE, burst: int = RATE_BURST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self._buckets: Dict[str, tuple] = {}

    def allow(self, sender: str) -> bool:
        now = self.clock()
        tokens, last = self._buckets.get(sender, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        self._buckets[sender] = (tokens - 1 if allowed else tokens, now)
        if len(self._buckets) > 100_000:  # forget idle senders rather than grow without bound
            self._buckets.clear()
        return allowed


def guard(on_new_message: Callable[[UserMessage], Awaitable[Any]],
          limiter: TokenBucketLimiter) -> Callable[[UserMessage], Awaitable[Any]]:
    async def reply(message: UserMessage, kind: str, text: str) -> None:
        await message.output_channel.send_text_message(message.sender_id, polite(kind, text))

    async def guarded(message: UserMessage) -> None:
        text = message.text if isinstance(message.text, str) else ""
        if not limiter.allow(str(message.sender_id)):
            logger.info("rate limited sender %s", mask_digits_in_text(str(message.sender_id)))
            await reply(message, "slow_down", text)
            return
        if not text.strip():
            await reply(message, "empty", text)
            return
        message.text = text[:MAX_MESSAGE_CHARS]
        try:
            await on_new_message(message)
        except Exception:  # the customer gets an apology, never a stack trace or silence
            logger.exception("turn failed for sender %s", mask_digits_in_text(str(message.sender_id)))
            await reply(message, "failed", text)

    return guarded


class RateLimitedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self) -> None:
        self.limiter = TokenBucketLimiter()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(guard(relaying(self.name(), on_new_message), self.limiter))


class RateLimitedSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limiter = TokenBucketLimiter()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(guard(relaying(self.name(), on_new_message, SocketIOLine(self)), self.limiter))
