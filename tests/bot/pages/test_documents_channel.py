"""The documents channel over real HTTP: downloads, polite error pages, the demo checkout.

The channel's blueprint is mounted the way Rasa mounts it (rasa.core.channels.channel.register)
on a Sanic app served from a background thread on a free port.
"""
from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid

import pytest
import requests
from rasa.core.channels.channel import register
from sanic import Sanic

from actions.service.core import settings
from actions.service.core.db import session_scope
from actions.service.policies.demo_payments import DemoPaymentProvider
from actions.service.policies.documents import calendar_link, invoice_link
from actions.service.core.models import Customer
from actions.service.policies.payments import create_payment_order, get_payment_order, recent_payments
from bot.pages import documents as documents_channel
from bot.pages.documents import DocumentChannel
from bot.channels.rate_limited import TokenBucketLimiter

PUBLIC_URL = "https://anxin.test"
WANG = "13800000001"


class BackgroundServer:
    """A Sanic app listening on 127.0.0.1:<free port>, its event loop in a daemon thread."""

    def __init__(self, app: Sanic) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> "BackgroundServer":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)
        return self

    async def _start(self) -> None:
        self.server = await self.app.create_server(sock=self.sock, return_asyncio_server=True, access_log=False)
        await self.server.startup()
        await self.server.before_start()
        await self.server.start_serving()
        await self.server.after_start()

    async def _stop(self) -> None:
        await self.server.before_stop()
        self.server.close()
        await self.server.wait_closed()
        await self.server.after_stop()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="module")
def channel():
    channel = DocumentChannel()
    channel.checkout_limiter = TokenBucketLimiter(per_minute=6000, burst=1000)  # every test here shares 127.0.0.1
    return channel


@pytest.fixture(scope="module")
def server(channel):
    app = Sanic(f"anxin_documents_test_{uuid.uuid4().hex[:8]}")
    register([channel], app, route="/webhooks/")
    running = BackgroundServer(app).start()
    yield running
    running.stop()


@pytest.fixture
def demo_db(demo_db, monkeypatch):
    """The shared seeded database, with links pointing at the test server."""
    monkeypatch.setenv("ANXIN_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("ANXIN_DEMO_MODE", "1")
    monkeypatch.setenv("ANXIN_SECRET_KEY", "documents-test-secret")
    settings.get_settings.cache_clear()
    yield demo_db
    settings.get_settings.cache_clear()


@pytest.fixture
def wang(demo_db) -> int:
    with session_scope() as session:
        return session.query(Customer).filter_by(phone=WANG).one().id


def local(server: BackgroundServer, public_url: str) -> str:
    """The test server's address for a link the bot hands out."""
    assert public_url.startswith(PUBLIC_URL + "/webhooks/documents/")
    return server.url + public_url[len(PUBLIC_URL):]


def assert_polite_page(reply: requests.Response, status: int) -> None:
    assert reply.status_code == status
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "抱歉" in reply.text and "Sorry" in reply.text
    assert "Traceback" not in reply.text and "Error" not in reply.text
    assert 'href="/webhooks/webchat/#human"' in reply.text  # the human button, on every page we draw


@pytest.mark.parametrize("path", ["/webhooks/documents", "/webhooks/documents/"])
def test_health(server, path):
    reply = requests.get(server.url + path, timeout=10)
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_invoice_download(server, wang):
    payment = recent_payments(wang)[0]
    reply = requests.get(local(server, invoice_link(wang, payment.id, "zh-Hans")), timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/pdf"
    # opens in the browser (issue 15); ?download=1 saves it
    assert reply.headers["Content-Disposition"] == f'inline; filename="invoice-{payment.invoice_number}.pdf"'
    saved = requests.get(local(server, invoice_link(wang, payment.id, "zh-Hans")), params={"download": "1"}, timeout=10)
    assert saved.headers["Content-Disposition"] == f'attachment; filename="invoice-{payment.invoice_number}.pdf"'
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.content.startswith(b"%PDF")


def test_calendar_download(server, wang):
    reply = requests.get(local(server, calendar_link(wang, ["P2019000001"], "en")), timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="premium-reminders.ics"'
    assert b"BEGIN:VCALENDAR" in reply.content and b"BEGIN:VALARM" in reply.content


def test_unknown_token_is_a_polite_404(server, demo_db):
    assert_polite_page(requests.get(f"{server.url}/webhooks/documents/not-a-real-token", timeout=10), 404)


def test_a_failure_is_a_polite_page_not_a_trace(server, demo_db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(documents_channel, "render_document", broken)
    monkeypatch.setattr(documents_channel, "checkout_view", broken)
    reply = requests.get(f"{server.url}/webhooks/documents/some-token", timeout=10)
    assert_polite_page(reply, 503)
    assert "fire" not in reply.text
    assert_polite_page(requests.get(f"{server.url}/webhooks/documents/pay/PAY-1", timeout=10), 503)
    assert_polite_page(requests.post(f"{server.url}/webhooks/documents/pay/PAY-1", timeout=10), 503)


def test_unknown_order_is_a_polite_404(server, demo_db):
    assert_polite_page(requests.get(f"{server.url}/webhooks/documents/pay/PAY-20260101-NOPE", timeout=10), 404)
    assert_polite_page(requests.post(f"{server.url}/webhooks/documents/pay/PAY-20260101-NOPE", timeout=10), 404)


def test_the_pay_page_shows_nothing_and_pays_nothing_without_the_links_own_token(server, wang):
    order = create_payment_order(wang, ["P2019000001", "P2021000002"], "wechat_pay")
    token = order.pay_url.rsplit("/", 1)[1]
    near_miss = token[:-1] + ("y" if token.endswith("x") else "x")  # always another token (1 in 64 ended in x)
    for guess in (order.reference, near_miss):
        url = f"{server.url}/webhooks/documents/pay/{guess}"
        for reply in (requests.get(url, timeout=10), requests.post(url, timeout=10)):
            assert_polite_page(reply, 404)
            assert "10,000" not in reply.text and "0001" not in reply.text and order.reference not in reply.text
    assert get_payment_order(order.reference).status == "pending"


def callback_url(server: BackgroundServer) -> str:
    return f"{server.url}/webhooks/documents/pay/callback"


def test_an_unsigned_or_forged_settlement_is_refused(server, wang):
    order = create_payment_order(wang, ["P2019000001"], "alipay")
    unsigned = {"reference": order.reference, "amount": "6800.00", "timestamp": str(int(time.time())),
                "nonce": "n-1"}
    for body in (unsigned, {**unsigned, "signature": "0" * 64}):
        assert requests.post(callback_url(server), json=body, timeout=10).status_code == 403
        assert requests.post(callback_url(server), data=body, timeout=10).status_code == 403
    for junk in (b"", b"null", b"[]", b"{", "\ud800".encode("utf-8", "surrogatepass")):
        reply = requests.post(callback_url(server), data=junk, headers={"Content-Type": "application/json"},
                              timeout=10)
        assert reply.status_code == 403, junk
    assert get_payment_order(order.reference).status == "pending"


def test_a_signed_settlement_is_accepted_once_and_its_replay_refused(server, wang):
    order = create_payment_order(wang, ["P2019000001"], "alipay")
    callback = DemoPaymentProvider().signed_callback(order.reference, order.amount)
    first = requests.post(callback_url(server), json=callback, timeout=10)
    assert first.status_code == 200 and first.json() == {"status": "paid", "reference": order.reference}
    before = recent_payments(wang, limit=50)
    replay = requests.post(callback_url(server), json=callback, timeout=10)
    assert replay.status_code == 409 and replay.json()["error"] == "replayed"
    assert recent_payments(wang, limit=50) == before


def test_an_older_order_for_a_paid_period_cannot_be_paid_again(server, wang):
    older = create_payment_order(wang, ["P2019000001", "P2021000002"], "wechat_pay")
    newer = create_payment_order(wang, ["P2019000001", "P2021000002"], "alipay")
    assert requests.post(local(server, newer.pay_url), timeout=10).status_code == 200
    before = recent_payments(wang, limit=50)

    page = requests.post(local(server, older.pay_url), timeout=10)
    assert page.status_code == 409 and "已经交过" in page.text and "already been paid" in page.text
    assert "<form" not in page.text
    signed = DemoPaymentProvider().signed_callback(older.reference, older.amount)
    reply = requests.post(callback_url(server), json=signed, timeout=10)
    assert reply.status_code == 409 and reply.json()["error"] == "period_already_paid"
    assert recent_payments(wang, limit=50) == before
    assert get_payment_order(older.reference).status == "pending"


def test_checkout_is_off_unless_demo_mode_is_on(server, wang, monkeypatch):
    order = create_payment_order(wang, ["P2019000001"], "alipay")
    signed = DemoPaymentProvider().signed_callback(order.reference, order.amount)
    monkeypatch.setenv("ANXIN_DEMO_MODE", "0")
    settings.get_settings.cache_clear()
    assert_polite_page(requests.get(local(server, order.pay_url), timeout=10), 404)
    assert_polite_page(requests.post(local(server, order.pay_url), timeout=10), 404)
    assert requests.post(callback_url(server), json=signed, timeout=10).status_code == 403
    assert get_payment_order(order.reference).status == "pending"


def test_checkout_is_throttled_per_client(server, channel, wang, monkeypatch):
    monkeypatch.setattr(channel, "checkout_limiter", TokenBucketLimiter(per_minute=1, burst=3))
    url = f"{server.url}/webhooks/documents/pay/PAY-GUESS"
    statuses = [requests.get(url, timeout=10).status_code for _ in range(5)]
    assert statuses[:3] == [404] * 3 and statuses[3:] == [429] * 2
    assert_polite_page(requests.get(url, timeout=10), 429)
    assert requests.post(callback_url(server), json={}, timeout=10).status_code == 429


def test_checkout_page_shows_the_order_and_one_big_button(server, wang):
    order = create_payment_order(wang, ["P2019000001", "P2021000002"], "wechat_pay")
    reply = requests.get(local(server, order.pay_url), timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    page = reply.text
    assert "¥10,000" in page  # 6,800 + 3,200
    assert "确认支付（演示）" in page and "Confirm payment (demo)" in page
    assert page.count("<form") == 1 and 'method="post"' in page
    assert "演示" in page and "Demo payment provider" in page
    assert "微信支付" in page and "WeChat Pay" in page
    assert "安心终身寿险" in page and "Anxin Critical Illness" in page
    assert 'name="viewport"' in page and "min-height:64px" in page
    assert "已支付" not in page


def test_paying_settles_once(server, wang):
    order = create_payment_order(wang, ["P2019000001"], "alipay")
    before = len(recent_payments(wang, limit=50))

    reply = requests.post(local(server, order.pay_url), timeout=10)
    assert reply.status_code == 200
    assert "已支付" in reply.text and "Paid" in reply.text and "<form" not in reply.text
    assert get_payment_order(order.reference).status == "paid"
    payments = recent_payments(wang, limit=50)
    assert len(payments) == before + 1
    assert (payments[0].policy_number, payments[0].method, payments[0].amount) == ("P2019000001", "alipay", 6800)

    again = requests.post(local(server, order.pay_url), timeout=10)
    assert again.status_code == 200 and "已支付" in again.text
    assert len(recent_payments(wang, limit=50)) == before + 1

    page = requests.get(local(server, order.pay_url), timeout=10)
    assert "已支付" in page.text and "<form" not in page.text
