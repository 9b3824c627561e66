"""One call's processors run alone: a real CallState, the carrier's messages collected, frames recorded."""
from __future__ import annotations

import asyncio
import json
from typing import List

from voice.phone.call_state import CallHooks, CallState
from voice.phone.pipeline import FrameProcessor
from voice.phone.turns import TurnSettings
from voice.phone.twilio import TwilioSerializer


class Recorder(FrameProcessor):
    """The last step of a test pipeline: keeps every frame that reached it, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: List[object] = []

    async def process(self, frame: object) -> None:
        self.frames.append(frame)

    def of(self, kind: type) -> list:
        return [frame for frame in self.frames if isinstance(frame, kind)]


def call_state(settings: TurnSettings, sent: list) -> CallState:
    """A call in Mandarin whose messages to the carrier land in `sent`; no bot behind it."""
    async def send(message: str) -> None:
        sent.append(json.loads(message))

    async def no_bot(*args) -> None:
        raise AssertionError("this test has no bot")

    call = CallState(TwilioSerializer(), send, CallHooks(no_bot, no_bot), settings)
    call.sender_id = "CAtest"
    return call


async def settle(call: CallState, timeout: float = 60) -> None:
    """Until every task the call started (ASR, the turn model's check, a bot turn) has finished."""
    for _ in range(int(timeout / 0.02)):
        if not call.tasks:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(call.tasks)} call task(s) still running")
