"""A test carrier: plays Twilio's part of a Media Stream against the real phone endpoint."""
from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Callable, List, Optional

import websockets
from twilio.request_validator import RequestValidator

from tests.voice.phone.caller_audio import FRAME, frames
from voice.phone.twilio import SIGNATURE_HEADER


class FakeTwilio:
    """Streams μ-law like Twilio, collects what the bot sends and echoes marks (as if played at once)."""

    def __init__(self, url: str, token: str, caller: str = "", call_sid: str = "CA0001", echo_marks: bool = True,
                 parameters: Optional[dict] = None, auth_token: Optional[str] = None,
                 signed_url: Optional[str] = None) -> None:
        self.url, self.token, self.caller, self.call_sid = url, token, caller, call_sid
        self.stream_sid = "MZ" + call_sid[2:]
        self.echo_marks = echo_marks
        self.parameters = parameters or {}
        # Twilio signs the handshake with the account's auth token over the stream URL it was given.
        self.auth_token, self.signed_url = auth_token, signed_url or url
        self.received: List[dict] = []  # every message from the bot, in order
        self.received_at: List[float] = []
        self.ws = None
        self._reader: Optional[asyncio.Task] = None
        self._sequence = 0

    async def __aenter__(self) -> "FakeTwilio":
        headers = {}
        if self.auth_token:
            headers[SIGNATURE_HEADER] = RequestValidator(self.auth_token).compute_signature(self.signed_url, {})
        self.ws = await websockets.connect(self.url, max_size=None, extra_headers=headers)
        self._reader = asyncio.ensure_future(self._read())
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self.send({"event": "start", "streamSid": self.stream_sid, "start": {
            "accountSid": "ACtest", "streamSid": self.stream_sid, "callSid": self.call_sid, "tracks": ["inbound"],
            "customParameters": {"caller": self.caller, "token": self.token, **self.parameters},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})
        return self

    async def __aexit__(self, *exc) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.send({"event": "stop", "streamSid": self.stream_sid,
                             "stop": {"accountSid": "ACtest", "callSid": self.call_sid}})
            await self.ws.close()
        if self._reader:
            self._reader.cancel()

    async def send(self, message) -> None:
        self._sequence += 1
        if isinstance(message, dict):
            message = json.dumps({"sequenceNumber": str(self._sequence), **message})
        await self.ws.send(message)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                self.received.append(message)
                self.received_at.append(time.perf_counter())
                if message.get("event") == "mark" and self.echo_marks:
                    await self.send({"event": "mark", "streamSid": self.stream_sid, "mark": message["mark"]})
        except websockets.ConnectionClosed:
            pass

    async def stream(self, mulaw: bytes) -> float:
        """Send the audio as 20 ms media messages (faster than real time); returns when the last was sent."""
        for chunk in frames(mulaw):
            await self.send({"event": "media", "streamSid": self.stream_sid, "media": {
                "track": "inbound", "payload": base64.b64encode(chunk).decode()}})
        return time.perf_counter()

    async def press(self, digits: str) -> None:
        for digit in digits:
            await self.send({"event": "dtmf", "streamSid": self.stream_sid,
                             "dtmf": {"track": "inbound_track", "digit": digit}})

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; got {[m.get('event') for m in self.received][-20:]}")
            await asyncio.sleep(0.05)

    def events(self, kind: str, since: int = 0) -> List[dict]:
        return [m for m in self.received[since:] if m.get("event") == kind]

    def audio(self, since: int = 0) -> bytes:
        return b"".join(base64.b64decode(m["media"]["payload"]) for m in self.events("media", since))

    async def wait_for_marks(self, count: int, since: int = 0, timeout: float = 90) -> None:
        """Until `count` sentences (each ends with a mark) have arrived after message index `since`."""
        await self.wait_for(lambda: len(self.events("mark", since)) >= count, timeout)

    async def wait_quiet(self, seconds: float = 1.5, timeout: float = 90) -> None:
        """Until the bot has sent nothing for `seconds` (a whole reply has arrived)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.received_at[-1] if self.received_at else 0
            if self.received and time.perf_counter() - last >= seconds:
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the bot never went quiet")


FRAME_BYTES = FRAME
