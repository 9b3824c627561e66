"""The Twilio Media Streams serializer against the message shapes Twilio documents."""
import base64
import hashlib
import hmac
import json
from xml.etree import ElementTree

import pytest

from voice.phone.frames import CallConnected, CallEnded, CallerAudio, CallStarted, KeyPressed, PlaybackReached
from voice.phone.serializer import MalformedMessage
from voice.phone.twilio import TwilioSerializer, signature_valid, stream_twiml

STREAM = "MZ18ad3ab5a668481ce02b83e7395059f0"
START = {
    "event": "start", "sequenceNumber": "1", "streamSid": STREAM,
    "start": {
        "accountSid": "AC123", "streamSid": STREAM, "callSid": "CA456", "tracks": ["inbound"],
        "customParameters": {"caller": "+8613800000001", "token": "secret"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    },
}


def test_incoming_events():
    serializer = TwilioSerializer()
    assert isinstance(serializer.deserialize('{"event": "connected", "protocol": "Call", "version": "1.0.0"}'),
                      CallConnected)
    started = serializer.deserialize(json.dumps(START))
    assert started == CallStarted(STREAM, "CA456", "+8613800000001", {"caller": "+8613800000001", "token": "secret"})
    payload = bytes(range(160))
    media = {"event": "media", "sequenceNumber": "3", "streamSid": STREAM,
             "media": {"track": "inbound", "chunk": "1", "timestamp": "5",
                       "payload": base64.b64encode(payload).decode()}}
    assert serializer.deserialize(json.dumps(media)) == CallerAudio(payload)
    dtmf = {"event": "dtmf", "streamSid": STREAM, "sequenceNumber": "5",
            "dtmf": {"track": "inbound_track", "digit": "0"}}
    assert serializer.deserialize(json.dumps(dtmf)) == KeyPressed("0")
    mark = {"event": "mark", "sequenceNumber": "4", "streamSid": STREAM, "mark": {"name": "say-1"}}
    assert serializer.deserialize(json.dumps(mark)) == PlaybackReached("say-1")
    stop = {"event": "stop", "sequenceNumber": "6", "streamSid": STREAM,
            "stop": {"accountSid": "AC123", "callSid": "CA456"}}
    assert isinstance(serializer.deserialize(json.dumps(stop)), CallEnded)


def test_outgoing_messages_carry_the_stream_sid():
    serializer = TwilioSerializer()
    serializer.deserialize(json.dumps(START))
    media = json.loads(serializer.audio(b"\xff" * 160))
    assert media == {"event": "media", "streamSid": STREAM, "media": {"payload": base64.b64encode(b"\xff" * 160).decode()}}
    assert json.loads(serializer.mark("say-1")) == {"event": "mark", "streamSid": STREAM, "mark": {"name": "say-1"}}
    assert json.loads(serializer.clear()) == {"event": "clear", "streamSid": STREAM}


def test_our_own_audio_echoed_on_the_outbound_track_is_not_caller_audio():
    media = {"event": "media", "media": {"track": "outbound", "payload": base64.b64encode(b"\x00" * 160).decode()}}
    assert TwilioSerializer().deserialize(json.dumps(media)) is None


def test_unknown_events_are_ignored():
    assert TwilioSerializer().deserialize('{"event": "something_new", "streamSid": "MZ1"}') is None


@pytest.mark.parametrize("raw", [
    "not json", "", b"\x00\x01", "[]", '{"no": "event"}', '{"event": "media"}',
    '{"event": "media", "media": {"payload": "***not base64***"}}',
    '{"event": "dtmf", "dtmf": {"digit": "A"}}', '{"event": "start", "start": {}}',
])
def test_malformed_messages_raise_one_error_type(raw):
    with pytest.raises(MalformedMessage):
        TwilioSerializer().deserialize(raw)


def twilio_signature(auth_token: str, url: str, params: dict) -> str:
    """Twilio's documented scheme, written out independently of the twilio package."""
    signed = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def test_a_twilio_signature_is_accepted_only_for_its_url_params_and_token():
    url = "https://anxin.example/webhooks/phone/twiml"
    params = {"CallSid": "CA456", "From": "+8613800000001", "To": "+864001234567"}
    signature = twilio_signature("auth-token", url, params)
    assert signature_valid("auth-token", [url], params, signature)
    assert signature_valid("auth-token", ["http://10.0.0.5:5005/webhooks/phone/twiml", url], params, signature)
    assert not signature_valid("other-token", [url], params, signature)
    assert not signature_valid("auth-token", [url], {**params, "From": "+8613900000000"}, signature)
    assert not signature_valid("auth-token", ["https://evil.example/webhooks/phone/twiml"], params, signature)
    assert not signature_valid("auth-token", [url], params, "")
    stream = "wss://anxin.example/webhooks/phone/stream"  # the handshake: the URL alone, no parameters
    assert signature_valid("auth-token", [stream], None, twilio_signature("auth-token", stream, {}))


def test_stream_twiml_escapes_what_it_passes():
    twiml = stream_twiml("wss://anxin.example/webhooks/phone/stream", {"caller": '"<x>&', "token": "t"})
    stream = ElementTree.fromstring(twiml).find("./Connect/Stream")
    assert stream.get("url") == "wss://anxin.example/webhooks/phone/stream"
    assert [(p.get("name"), p.get("value")) for p in stream] == [("caller", '"<x>&'), ("token", "t")]
