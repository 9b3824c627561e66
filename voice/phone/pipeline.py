"""Small processors a call's frames pass through in order (pipecat's FrameProcessor and Pipeline, in brief).

Each processor handles the frames of its one job and pushes on what the steps after it need: the
frames it was given and the ones it makes (turn-taking turns caller audio into turn events). A
frame is handled to the end before the carrier's next message is read: the audio clock, not the
machine's load, orders what happens.
"""
from __future__ import annotations

from typing import List, Optional


class FrameProcessor:
    """One step of a call: `process` a frame, `push` it (and any frame it makes) to the next step."""

    def __init__(self) -> None:
        self._next: Optional[FrameProcessor] = None

    def link(self, following: "FrameProcessor") -> None:
        self._next = following

    async def process(self, frame: object) -> None:
        await self.push(frame)

    async def push(self, frame: object) -> None:
        if self._next is not None:
            await self._next.process(frame)


class Pipeline:
    """Processors linked in order; a frame put in goes through each of them."""

    def __init__(self, processors: List[FrameProcessor]) -> None:
        self.processors = processors
        for current, following in zip(processors, processors[1:]):
            current.link(following)

    async def put(self, frame: object) -> None:
        await self.processors[0].process(frame)
