"""The web chat's read-aloud, on the voice gateway (the page itself stays in Rasa: bot/pages/webchat.py).

    POST /webhooks/webchat/speak  {"text", "language"?, "options"?: [button titles]}
         -> 200 audio/ogg (the text read aloud, Opus)
         -> 400/413/429/503 JSON {"error", "message"} in the customer's language; never a 500
"""
from __future__ import annotations

import asyncio
import logging

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.core.rate_limits import TokenBucketLimiter
from voice.audio import AudioError, encode_ogg_opus
from voice.gateway.client_address import client_address
from voice.gateway.protocol import SPEAK_PATH
from voice.read_aloud import claimed_language, refusal, speak_request
from voice.tts import TTSError, synthesize_async, voice_for

logger = logging.getLogger(__name__)

SPEAK_PER_MINUTE = 20         # per client address: a person presses 🔊 a few times a minute
SPEAK_BURST = 8
SPEAK_AT_ONCE = 2             # syntheses in flight per process (2 cores); more wait their turn
NO_STORE = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def refused(kind: str, language) -> HTTPResponse:
    body, status = refusal(kind, language)
    return response.json(body, status=status, headers=NO_STORE)


def speak_blueprint() -> Blueprint:
    blueprint = Blueprint("speak")
    limiter = TokenBucketLimiter(per_minute=SPEAK_PER_MINUTE, burst=SPEAK_BURST)
    speaking = asyncio.Semaphore(SPEAK_AT_ONCE)

    async def read_aloud(request: Request) -> HTTPResponse:
        wanted, problem = speak_request(request.body)
        if problem:  # refusing costs nothing: only speech counts against the limit
            return refused(problem, claimed_language(request.body))
        if not limiter.allow(client_address(request)):
            return refused("busy", wanted["language"])
        async with speaking:
            try:
                speech = await synthesize_async(wanted["text"], voice_for(wanted["language"]))
                ogg = await asyncio.to_thread(encode_ogg_opus, speech.audio, speech.sample_rate)
            except (TTSError, AudioError) as error:
                logger.error("no speech for read-aloud (%s)", error)
                return refused("no_voice", wanted["language"])
        return response.raw(ogg, content_type="audio/ogg", headers=NO_STORE)

    @blueprint.route(SPEAK_PATH, methods=["POST"])
    async def speak(request: Request) -> HTTPResponse:
        try:
            return await read_aloud(request)
        except Exception:  # never a stack trace or a 500: the customer still has the text
            logger.exception("read-aloud failed")
            return refused("no_voice", claimed_language(request.body))

    return blueprint
