"""What happens on a call, independent of the carrier's wire format (pipecat's "frames")."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict


@dataclass(frozen=True)
class CallConnected:
    """The carrier opened the stream (Twilio's `connected`)."""


@dataclass(frozen=True)
class CallStarted:
    stream_id: str
    call_id: str = ""
    caller: str = ""  # the caller's number as the carrier passed it, possibly empty
    parameters: Dict[str, str] = field(default_factory=dict)  # the carrier's custom parameters
    encoding: str = "audio/x-mulaw"
    sample_rate: int = 8000


@dataclass(frozen=True)
class CallerAudio:
    """A chunk of the caller's audio: G.711 μ-law, 8 kHz, mono (usually 20 ms = 160 bytes)."""

    mulaw: bytes


@dataclass(frozen=True)
class KeyPressed:
    digit: str  # 0-9, * or #


@dataclass(frozen=True)
class PlaybackReached:
    """The carrier has played our audio up to the mark with this name (or cleared it)."""

    name: str


@dataclass(frozen=True)
class CallEnded:
    pass


