"""One more try for a custom action whose action server went away mid-call (bot/action_retry.py)."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError

from bot import action_retry


def failure(cause: BaseException) -> RasaException:
    """The exception RemoteAction.run raises, with what caused it, as Rasa chains it."""
    try:
        try:
            raise cause
        except Exception as error:
            raise RasaException("Failed to execute custom action") from error
    except RasaException as raised:
        return raised


@pytest.mark.parametrize("cause, gone", [
    (ClientResponseError(502, "Bad Gateway", "the server returned an incomplete response"), True),
    (ClientResponseError(503, "Service Unavailable", "no server is available"), True),
    (aiohttp.ClientConnectionError("connection refused"), True),
    (ClientResponseError(500, "Internal Server Error", "the action failed"), False),  # the action answered
    (ValueError("not about the server"), False),
])
def test_only_a_server_that_went_away_is_asked_again(cause, gone):
    assert action_retry.server_went_away(failure(cause)) is gone


def test_the_call_is_sent_once_more_and_only_once(monkeypatch):
    calls = []

    async def server_gone_then_back(action, *args, **kwargs):
        calls.append(action.name())
        if len(calls) == 1:
            raise failure(ClientResponseError(502, "Bad Gateway", ""))
        return ["events"]

    async def always_gone(action, *args, **kwargs):
        calls.append(action.name())
        raise failure(ClientResponseError(502, "Bad Gateway", ""))

    monkeypatch.setattr(action_retry, "RESEND_AFTER_SECONDS", 0)
    action = RemoteAction("action_file_complaint", None)
    monkeypatch.setattr(action_retry, "_run_once", server_gone_then_back)
    assert asyncio.run(action_retry.run_resending_once(action)) == ["events"] and len(calls) == 2
    calls.clear()
    monkeypatch.setattr(action_retry, "_run_once", always_gone)
    with pytest.raises(RasaException):
        asyncio.run(action_retry.run_resending_once(action))
    assert len(calls) == 2
