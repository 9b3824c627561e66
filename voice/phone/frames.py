"""What happens on a call, independent of the carrier's wire format (pipecat's "frames")."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Optional

if TYPE_CHECKING:  # only for the annotations: frames stay free of the audio stack
    import asyncio

    from voice.phone.turns import TurnEnded


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




# Frames the call's processors make for the steps after them (voice/phone/call.py lists the steps).
@dataclass(frozen=True)
class EarlyTranscript:
    """Whisper has started on the turn so far at a pause (turns.TurnPaused): its transcript, to come."""

    voiced_s: float
    transcript: "asyncio.Future"


@dataclass(frozen=True)
class CallerTurn:
    """The caller's turn has ended; `early` is its transcript already under way, if the caller said nothing since."""

    ended: "TurnEnded"
    early: Optional["asyncio.Future"] = None
