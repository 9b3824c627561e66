"""The one interface every carrier implements: its wire messages <-> call events.

As in pipecat's serializers, the call session never sees the carrier's format: adding a carrier
(Telnyx, Vonage, a SIP bridge) is one more subclass.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Optional, Union


class MalformedMessage(ValueError):
    """A message that is not valid for the protocol; the call goes on, the message is dropped."""


class CallSerializer(ABC):
    @abstractmethod
    def deserialize(self, data: Union[str, bytes]) -> Optional[object]:
        """One wire message -> a call event (voice.phone.frames), or None for events we ignore.

        Raises MalformedMessage for data that is not a message of the protocol at all.
        """

    @abstractmethod
    def audio(self, mulaw: bytes) -> str:
        """A message that plays μ-law 8 kHz audio to the caller."""

    @abstractmethod
    def mark(self, name: str) -> str:
        """A message the carrier echoes back once the audio sent before it has been played."""

    @abstractmethod
    def clear(self) -> str:
        """A message that drops all audio the carrier has queued but not yet played (barge-in)."""
