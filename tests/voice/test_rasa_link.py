"""The gateway's link to Rasa: a Rasa that cannot be reached is BotUnavailable, a refusal is not.

Real HTTP on loopback: nothing listening, and a small aiohttp server answering as a restarting
balancer (503) or a connector refusing the secret (401) does.
"""
import asyncio

import pytest
from aiohttp import web

from tests.servers import free_port
from voice.gateway.protocol import SECRET_HEADER
from voice.gateway.rasa_link import RasaLink, RasaRefused
from voice.phone.call_state import BotUnavailable


async def answering(status: int, seen: list):
    async def handle(request: web.Request) -> web.Response:
        seen.append(request.headers.get(SECRET_HEADER))
        return web.json_response({"messages": [], "language": "en"} if status == 200 else {"error": "x"},
                                 status=status)

    app = web.Application()
    app.router.add_post("/webhooks/gateway/turn", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


def test_nobody_listening_is_bot_unavailable():
    async def turn():
        link = RasaLink(f"http://127.0.0.1:{free_port()}", "s")
        try:
            await link.turn("CA1", "你好", "phone", {})
        finally:
            await link.close()
    with pytest.raises(BotUnavailable):
        asyncio.run(turn())


@pytest.mark.parametrize("status, raised", [(503, BotUnavailable), (502, BotUnavailable), (401, RasaRefused)])
def test_a_balancers_503_is_bot_unavailable_and_a_refusal_is_not(status, raised):
    async def turn():
        seen = []
        runner, url = await answering(status, seen)
        link = RasaLink(url, "the-secret")
        try:
            with pytest.raises(raised):
                await link.turn("CA1", "你好", "phone", {})
        finally:
            await link.close()
            await runner.cleanup()
        return seen
    assert asyncio.run(turn()) == ["the-secret"]  # every call carries the shared secret


def test_an_answer_is_returned():
    async def turn():
        runner, url = await answering(200, [])
        link = RasaLink(url, "the-secret")
        try:
            return await link.turn("CA1", "hello", "phone", {})
        finally:
            await link.close()
            await runner.cleanup()
    assert asyncio.run(turn())["language"] == "en"
