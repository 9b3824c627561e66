"""A local stand-in for api.telegram.org: a real aiohttp server that records what the bot sends.

These machines cannot reach Telegram. The fake speaks the Bot API's HTTP shape (POST
/bot<token>/<method> with JSON, form or multipart bodies; GET /file/bot<token>/<path>), answers
like Telegram (`{"ok": true, "result": ...}`), records every call with its parameters and uploaded
files, and can be told to fail the next calls (429 with retry_after, 403 blocked, 400 chat not found).
It runs on its own event loop in a daemon thread, on a free port.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web

BOT_ID = 777000111
BOT_USERNAME = "anxin_test_bot"


@dataclass
class ApiCall:
    """One request the bot made: the method, its parameters (JSON-decoded where they were JSON) and files."""

    method: str
    params: Dict[str, Any]
    files: Dict[str, bytes] = field(default_factory=dict)
    filenames: Dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


class FakeBotApi:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: List[ApiCall] = []
        self.files: Dict[str, bytes] = {}  # file_id -> bytes, served through getFile + /file/
        self.updates: List[dict] = []  # served by getUpdates (long polling)
        self._failures: Dict[str, List[dict]] = {}
        self._message_ids = itertools.count(1000)
        self._lock = threading.RLock()  # wait_for predicates call calls_of under the lock
        self._changed = threading.Condition(self._lock)
        self.loop = asyncio.new_event_loop()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._runner: Optional[web.AppRunner] = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    # -- control from the test ---------------------------------------------------------------
    def start(self) -> "FakeBotApi":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)

    def fail_next(self, method: str, error_code: int, description: str, retry_after: Optional[int] = None,
                  times: int = 1, chat_id: Any = None) -> None:
        """The next `times` calls of `method` (to `chat_id`, if given) get this Bot API error."""
        body: Dict[str, Any] = {"ok": False, "error_code": error_code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        key = method if chat_id is None else f"{method}:{chat_id}"
        with self._lock:
            self._failures.setdefault(key, []).extend([body] * times)

    def add_file(self, file_id: str, data: bytes) -> None:
        self.files[file_id] = data

    def calls_of(self, *methods: str, chat_id: Any = None) -> List[ApiCall]:
        with self._lock:
            return [c for c in self.calls if c.method in methods
                    and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    def wait_for(self, predicate: Callable[[List[ApiCall]], bool], timeout: float = 60) -> List[ApiCall]:
        """Block until the recorded calls satisfy `predicate` (the bot answers asynchronously)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self.calls)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out; calls so far: {[(c.method, c.params) for c in self.calls]}")
                self._changed.wait(remaining)
            return list(self.calls)

    # -- the HTTP side -------------------------------------------------------------------------
    async def _start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self.sock).start()

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params, files, filenames = await self._read_params(request)
        with self._changed:
            self.calls.append(ApiCall(method, params, files, filenames))
            failures = self._failures.get(f"{method}:{params.get('chat_id')}") or self._failures.get(method) or []
            failure = failures.pop(0) if failures else None
            self._changed.notify_all()
        if failure is not None:
            return web.json_response(failure, status=failure["error_code"])
        if method == "getUpdates":
            return await self._get_updates(params)
        return web.json_response({"ok": True, "result": self._result(method, params)})

    async def _get_updates(self, params: Dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 1.0)  # short polls keep tests quick
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = [u for u in self.updates if u["update_id"] >= offset]
            if pending or time.monotonic() >= deadline:
                return web.json_response({"ok": True, "result": pending})
            await asyncio.sleep(0.05)

    def _result(self, method: str, params: Dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "Anxin", "username": BOT_USERNAME}
        if method == "getFile":
            file_id = params.get("file_id")
            return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(self.files.get(file_id, b"")),
                    "file_path": f"voice/{file_id}.oga"}
        if method.startswith("send"):
            chat_id = params.get("chat_id")
            message: Dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()),
                                       "chat": {"id": _int_or(chat_id), "type": "private"},
                                       "from": {"id": BOT_ID, "is_bot": True, "first_name": "Anxin"}}
            if "text" in params:
                message["text"] = params["text"]
            return message
        return True  # setMyCommands, answerCallbackQuery, setWebhook, deleteWebhook, edit*...

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="audio/ogg")

    @staticmethod
    async def _read_params(request: web.Request):
        params: Dict[str, Any] = dict(request.query)
        files: Dict[str, bytes] = {}
        filenames: Dict[str, str] = {}
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            if request.content_type == "multipart/form-data":
                reader = await request.multipart()
                async for part in reader:
                    if part.filename:
                        files[part.name] = await part.read(decode=False)
                        filenames[part.name] = part.filename
                    else:
                        params[part.name] = _maybe_json(await part.text())
            else:
                params.update({k: _maybe_json(v) for k, v in (await request.post()).items()})
        return params, files, filenames


def _maybe_json(value: str) -> Any:
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _int_or(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
