"""A local stand-in for the Telegram Bot API (a real HTTP server on 127.0.0.1) that records sendMessage calls.

The machines running the tests cannot reach Telegram; the reminder sender talks to this through
actions/service/messaging/telegram_client.py exactly as it would to api.telegram.org.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional


class FakeBotApi:
    """`failures` answers to give first: "500", "429" (retry_after=retry_after_seconds) or "403"."""

    def __init__(self, failures: Optional[List[str]] = None, retry_after_seconds: int = 120):
        self.sent: List[dict] = []
        self.failures = list(failures or [])
        self.retry_after_seconds = retry_after_seconds
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                status, body = api._answer(self.path, payload)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _answer(self, path: str, payload: dict):
        with self._lock:
            if not path.endswith("/sendMessage"):
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            if self.failures:
                failure = self.failures.pop(0)
                if failure == "429":
                    return 429, {"ok": False, "error_code": 429, "description": "Too Many Requests",
                                 "parameters": {"retry_after": self.retry_after_seconds}}
                if failure == "403":
                    return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
                return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            self.sent.append(payload)
            return 200, {"ok": True, "result": {"message_id": len(self.sent), "chat": {"id": payload.get("chat_id")},
                                                 "text": payload.get("text")}}

    def chats(self) -> List[str]:
        with self._lock:
            return [str(p["chat_id"]) for p in self.sent]

    def __enter__(self) -> "FakeBotApi":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
