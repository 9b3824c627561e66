"""A custom action whose action server died mid-call is sent once more (to another server).

Behind a balancer, an action server killed during a call answers nothing: HAProxy returns 502 and
Rasa 3.6 drops the action's events ("Bot will continue, but the actions events are lost"). If that
action was the form's submission (`action_file_complaint`), the customer's complaint was lost and
the form already closed: saying it again did not bring it back (seen in the kill -9 test). HAProxy
cannot retry the call itself: Rasa sends the whole domain with each call, more than its buffer holds.

So `install()` (called by bot/serve.py before Rasa starts) makes RemoteAction.run send the call once
more after a short pause when the failure was the server's, not the action's: a 502/503/504 or no
connection. That is safe because the service layer stores a claim, complaint, rating or ticket sent
twice once (the kill test checks nothing is stored twice). An action that answered (even with an
error of its own, 400 or 500) is not sent again.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, List

import aiohttp
from rasa.core.actions.action import RemoteAction
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError

logger = logging.getLogger(__name__)

SERVER_GONE = (502, 503, 504)  # the balancer's answers when no action server answered
RESEND_AFTER_SECONDS = 1.0     # the balancer's connection retries move on to a live server meanwhile

_run_once = RemoteAction.run


def server_went_away(error: BaseException) -> bool:
    """True when a failed action call never got an answer from an action server."""
    cause = error.__cause__ or error.__context__
    if isinstance(cause, ClientResponseError):
        return cause.status in SERVER_GONE
    return isinstance(cause, (aiohttp.ClientConnectionError, asyncio.TimeoutError))


async def run_resending_once(action: RemoteAction, *args: Any, **kwargs: Any) -> List[Any]:
    """RemoteAction.run, sent a second time when the action server went away during the first."""
    try:
        return await _run_once(action, *args, **kwargs)
    except RasaException as error:
        if not server_went_away(error):
            raise
        logger.warning("action server went away during '%s': sending it once more", action.name())
        await asyncio.sleep(RESEND_AFTER_SECONDS)
        return await _run_once(action, *args, **kwargs)


def install() -> None:
    """Make every custom action call of this process survive one lost action server."""
    RemoteAction.run = run_resending_once  # type: ignore[assignment]
