"""Twilio Media Streams (bidirectional `<Connect><Stream>`): JSON text messages, base64 μ-law.

In:  connected, start (streamSid, callSid, customParameters, mediaFormat), media (payload),
     dtmf (digit), mark (name, echoed when our audio before it has played), stop.
Out: media (payload), mark (name), clear.
Twilio passes no caller number by itself: the TwiML adds it as a custom parameter
(`<Parameter name="caller" value="{{From}}"/>`), together with the stream token.

Twilio signs its webhooks and the stream's WebSocket handshake with the account's auth token:
`X-Twilio-Signature` = base64(HMAC-SHA1(auth token, the URL Twilio requested + each POST
parameter's name and value, sorted by name)). `signature_valid` checks it with the twilio
package's RequestValidator; `stream_twiml` writes the TwiML that connects a call to the stream.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Iterable, Mapping, Optional, Union
from xml.sax.saxutils import quoteattr

from voice.phone.frames import CallConnected, CallEnded, CallerAudio, CallStarted, KeyPressed, PlaybackReached
from voice.phone.serializer import CallSerializer, MalformedMessage

# Custom parameter names a TwiML author might use for the caller's number.
CALLER_PARAMETERS = ("caller", "Caller", "from", "From", "callerNumber")
DTMF_DIGITS = set("0123456789*#")


class TwilioSerializer(CallSerializer):
    def __init__(self) -> None:
        self.stream_sid = ""  # known from the `start` message on; every outgoing message needs it

    def deserialize(self, data: Union[str, bytes]) -> Optional[object]:
        try:
            message = json.loads(data)
        except (ValueError, TypeError) as error:
            raise MalformedMessage("not JSON") from error
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            raise MalformedMessage("no event")
        event = message["event"]
        if event == "media":
            return self._media(message)
        if event == "start":
            return self._start(message)
        if event == "dtmf":
            digit = str(_section(message, "dtmf").get("digit", ""))
            if digit not in DTMF_DIGITS:
                raise MalformedMessage(f"bad DTMF digit {digit[:4]!r}")
            return KeyPressed(digit)
        if event == "mark":
            return PlaybackReached(str(_section(message, "mark").get("name", "")))
        if event == "stop":
            return CallEnded()
        if event == "connected":
            return CallConnected()
        return None  # an event we do not use (newer protocol versions add some)

    def _media(self, message: dict) -> Optional[CallerAudio]:
        media = _section(message, "media")
        if media.get("track", "inbound") not in ("inbound", "inbound_track"):
            return None  # with track="both_tracks" Twilio also echoes our own audio
        try:
            payload = base64.b64decode(media.get("payload") or "", validate=True)
        except (binascii.Error, ValueError, TypeError) as error:
            raise MalformedMessage("media payload is not base64") from error
        return CallerAudio(payload) if payload else None

    def _start(self, message: dict) -> CallStarted:
        start = _section(message, "start")
        stream_sid = str(start.get("streamSid") or message.get("streamSid") or "")
        if not stream_sid:
            raise MalformedMessage("start without streamSid")
        parameters = start.get("customParameters") or {}
        if not isinstance(parameters, dict):
            parameters = {}
        parameters = {str(k): str(v) for k, v in parameters.items()}
        media_format = start.get("mediaFormat") or {}
        self.stream_sid = stream_sid
        return CallStarted(
            stream_id=stream_sid,
            call_id=str(start.get("callSid") or ""),
            caller=next((parameters[name] for name in CALLER_PARAMETERS if parameters.get(name)), ""),
            parameters=parameters,
            encoding=str(media_format.get("encoding") or "audio/x-mulaw"),
            sample_rate=int(media_format.get("sampleRate") or 8000),
        )

    def audio(self, mulaw: bytes) -> str:
        return json.dumps({"event": "media", "streamSid": self.stream_sid,
                           "media": {"payload": base64.b64encode(mulaw).decode("ascii")}})

    def mark(self, name: str) -> str:
        return json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    def clear(self) -> str:
        return json.dumps({"event": "clear", "streamSid": self.stream_sid})


def _section(message: dict, key: str) -> dict:
    section = message.get(key)
    if not isinstance(section, dict):
        raise MalformedMessage(f"{message.get('event')} without a {key} object")
    return section


SIGNATURE_HEADER = "X-Twilio-Signature"


def signature_valid(auth_token: str, urls: Iterable[str], params: Optional[Mapping], signature: str) -> bool:
    """True if `signature` is Twilio's for one of `urls` (the public URL as Twilio saw it) and `params`."""
    from twilio.request_validator import RequestValidator

    if not auth_token or not signature:
        return False
    validator = RequestValidator(auth_token)
    # A multi-dict (Sanic's request.form, with getlist) keeps repeated parameters; a dict maps name -> value.
    return any(validator.validate(url, params if params is not None else {}, signature) for url in urls)


def stream_twiml(stream_url: str, parameters: Mapping[str, str]) -> str:
    """TwiML answering a call with a bidirectional Media Stream to `stream_url`, passing `parameters`."""
    tags = "".join(f"<Parameter name={quoteattr(name)} value={quoteattr(value)}/>"
                   for name, value in parameters.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f"<Response><Connect><Stream url={quoteattr(stream_url)}>{tags}</Stream></Connect></Response>")
