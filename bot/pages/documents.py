"""Downloads (e-invoices, calendar files) and the demo checkout page, served by Rasa itself.

A Rasa input channel only so that it is mounted by `credentials.yml` next to the chat channels:
it never passes anything to the bot. Routes (Rasa adds the /webhooks/documents prefix):

    GET  /                  health
    GET  /<token>           the document behind an unguessable, expiring link
    GET  /pay/<token>       the demo payment provider's checkout page (the pay link's own token)
    POST /pay/<token>       "pay" (demo): the demo provider sends its signed callback, then the paid page
    POST /pay/callback      the provider's signed callback (JSON or form): the only way an order is settled

The checkout and the callback answer only in demo mode (ANXIN_DEMO_MODE) and are throttled per client IP.
Every page is bilingual (中文 + English) and elder-friendly (large type, one big button, high
contrast, fits a 320px-wide phone). Nothing ever answers with a stack trace.
"""
from __future__ import annotations

import logging
from functools import wraps
from html import escape
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.policies.demo_payments import DemoPaymentProvider, demo_payments_on
from actions.service.policies.documents import CheckoutView, checkout_view, method_words, render_document
from actions.service.formatting import money
from actions.service.policies.payment_provider import CallbackRefused
from actions.service.policies.payments import (CallbackReplayed, OrderView, PaymentError, PeriodAlreadyPaid,
                                      payment_provider, settle_from_callback)
from actions.service.core.settings import get_settings
from bot.channels.human_lane import trigger_in_conversation
from bot.channels.rate_limited import TokenBucketLimiter, client_ip
from bot.pages.phrases import MESSAGES

logger = logging.getLogger(__name__)

SECURITY_HEADERS = {
    # Links carry secrets (tokens) and pages show payments: never cache, never leak the URL onwards.
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
PAGE_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}

_STYLE = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#fff;color:#111;font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",
"Hiragino Sans GB",sans-serif;font-size:20px;line-height:1.6}
main{max-width:560px;margin:0 auto;padding:16px}
h1{font-size:28px;line-height:1.3;margin:8px 0 16px}
.en{display:block;font-size:18px;color:#333}
h1 .en{font-size:22px;color:#222}
.demo{background:#FFF3B0;color:#3D2E00;border:3px solid #8A6D00;border-radius:10px;padding:12px 14px;
margin:0 0 20px;font-size:18px;font-weight:bold}
.amount{font-size:40px;font-weight:bold;color:#0B3D91;margin:4px 0 16px;word-break:break-all}
.label{font-size:18px;color:#333;margin-top:12px}
.box{border:2px solid #888;border-radius:10px;padding:12px 14px;margin:8px 0}
ul{list-style:none;padding:0;margin:0}
li{border-bottom:1px solid #bbb;padding:10px 0}
li:last-child{border-bottom:0}
li .note{display:block}
button{display:block;width:100%;min-height:64px;margin:24px 0 12px;padding:12px;font-size:24px;
font-weight:bold;line-height:1.3;color:#fff;background:#0B3D91;border:3px solid #0B3D91;border-radius:12px;
cursor:pointer}
button:focus,button:hover{background:#062A66;outline:4px solid #FFB300;outline-offset:2px}
button .en{color:#fff;font-size:20px}
.ok{font-size:32px;font-weight:bold;color:#1B5E20;margin:8px 0}
.ok .en{font-size:24px;color:#1B5E20}
.note{font-size:18px;color:#333}
main{padding-bottom:110px}
a.human{position:fixed;right:12px;bottom:12px;min-width:96px;min-height:72px;padding:8px 12px;border-radius:14px;
background:#B3261E;color:#fff;font-size:22px;font-weight:bold;line-height:1.3;text-align:center;text-decoration:none;
border:3px solid #7A1A14}
a.human .en{color:#fff;font-size:16px}
a.human:focus,a.human:hover{outline:4px solid #FFB300;outline-offset:2px}
"""
# The human button is in the same place as on the web chat page (bottom right), on every page we draw.
_HUMAN_BUTTON = ('<a class="human" data-test="human" href="/webhooks/webchat/#human">转人工'
                 '<span class="en" lang="en">Human</span></a>')


def _page(title: str, body: str, status: int = 200) -> HTTPResponse:
    html = (
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main>{_HUMAN_BUTTON}</body></html>"
    )
    return response.html(html, status=status, headers=PAGE_HEADERS)


def _both(zh: str, en: str) -> str:
    return f'{escape(zh)}<span class="en" lang="en">{escape(en)}</span>'


def _message_page(title_zh: str, title_en: str, text_zh: str, text_en: str, status: int) -> HTTPResponse:
    body = (
        f"<h1>{_both(title_zh, title_en)}</h1>"
        f"<p>{_both(text_zh, text_en)}</p>"
        f'<p class="note">{_both(f"客服热线：{get_settings().hotline}", f"Hotline: {get_settings().hotline}")}</p>'
    )
    return _page(f"{title_zh} / {title_en}", body, status)


def message_page(kind: str) -> HTTPResponse:
    return _message_page(*MESSAGES[kind])


_DEMO_BANNER = _both("演示支付页面：这是演示用的支付服务，不会真的扣款。",
                     "Demo payment provider: this is a demonstration, no real money is taken.")


def _order_details(order: CheckoutView) -> str:
    method_zh, method_en = method_words(order.method)
    items = "".join(
        f"<li>{_both(item.product_name, item.product_name_en)}"
        f'<span class="note">{_both(f"保单尾号 {item.number_tail}　{money(item.premium)}", f"Policy ending {item.number_tail} · {money(item.premium)}")}</span></li>'
        for item in order.items
    )
    return (
        f'<div class="label">{_both("应付金额", "Amount to pay")}</div>'
        f'<div class="amount">{escape(money(order.amount))}</div>'
        f'<div class="label">{_both("保单", "Policies")}</div>'
        f'<div class="box"><ul>{items}</ul></div>'
        f'<div class="label">{_both("付款方式", "Payment method")}</div>'
        f'<div class="box">{_both(method_zh, method_en)}</div>'
        f'<div class="label">{_both("订单号", "Order reference")}</div>'
        f'<div class="box">{escape(order.reference)}</div>'
    )


def checkout_page(order: CheckoutView) -> HTTPResponse:
    if order.status == "paid":
        return paid_page(order)
    body = (
        f'<div class="demo" role="note">{_DEMO_BANNER}</div>'
        f"<h1>{_both('安心人寿 保费支付', 'Anxin Life premium payment')}</h1>"
        f"{_order_details(order)}"
        '<form method="post">'
        f'<button type="submit">确认支付（演示）<span class="en" lang="en">'
        "Confirm payment (demo)</span></button></form>"
        f'<p class="note">{_both("按一次就好，请不要重复按。", "Press once only.")}</p>'
    )
    return _page("确认支付（演示）/ Confirm payment (demo)", body)


def paid_page(order: CheckoutView) -> HTTPResponse:
    body = (
        f'<div class="demo" role="note">{_DEMO_BANNER}</div>'
        f'<p class="ok" role="status">✓ {_both("已支付", "Paid")}</p>'
        f"{_order_details(order)}"
        f'<p>{_both("谢谢您！电子发票可以在对话中索取。您现在可以关闭此页面，回到对话。", "Thank you! You can ask for the e-invoice in the chat. You can close this page now and go back to the chat.")}</p>'
    )
    return _page("已支付 / Paid", body)


def _short(secret: str) -> str:
    """Enough of a token or reference to trace a log line, not enough to use it."""
    return f"{(secret or '')[:6]}…"


# How a callback that settles nothing is answered (subclasses first).
_CALLBACK_REFUSALS = ((CallbackRefused, 403, "refused"), (CallbackReplayed, 409, "replayed"),
                      (PeriodAlreadyPaid, 409, "period_already_paid"), (PaymentError, 400, "not_settled"))


def accept_payment_callback(fields: Dict[str, Any]) -> OrderView:
    """The one way an order is settled: a callback its provider verifies, each one accepted once."""
    return settle_from_callback(payment_provider().verify_callback(fields))


PAYMENT_SETTLED_INTENT = "EXTERNAL_payment_settled"


async def announce_settled(app: Any, order: OrderView) -> None:
    """Tell the conversation that asked for the order that the money arrived (and only then ask for a
    rating). Before the callback is answered, so the chat knows by the time the customer is back."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    if not order.sender_id or agent is None or order.status != "paid":
        return
    try:
        await trigger_in_conversation(agent, order.sender_id, order.channel, PAYMENT_SETTLED_INTENT)
    except Exception:  # the payment is settled either way; the chat answers "did it arrive?" from the order
        logger.exception("could not tell the conversation that order %s settled", _short(order.reference))


def _callback_fields(request: Request) -> Dict[str, Any]:
    """The callback's fields from a JSON object or a form; anything else is no fields (refused as malformed)."""
    try:
        body = request.json
    except Exception:  # not JSON: a form, or nothing usable
        body = None
    if isinstance(body, dict):
        return body
    try:
        return {name: request.form.get(name) for name in request.form} if request.form else {}
    except Exception:
        return {}


class DocumentChannel(InputChannel):
    """Serves customers' documents and the demo checkout; sends nothing to the bot."""

    @classmethod
    def name(cls) -> Text:
        return "documents"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        settings = get_settings()
        # References and tokens are unguessable; the limit keeps anyone from trying anyway.
        self.checkout_limiter = TokenBucketLimiter(settings.checkout_requests_per_minute, settings.checkout_burst)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        documents = Blueprint("custom_webhook_DocumentChannel", __name__)

        @documents.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @documents.route("/<token>", methods=["GET"])
        async def download(request: Request, token: Text) -> HTTPResponse:
            if not token:  # the router hands "/webhooks/documents/" (trailing slash) here
                return await health(request)
            try:
                document = render_document(token)
            except Exception:
                logger.exception("could not render document %s", _short(token))
                return message_page("busy")
            if document is None:
                return message_page("link_not_found")
            # A PDF opens in the browser (its viewer has a download button); ?download=1, or a calendar
            # file (the phone hands it to its calendar), is a download.
            inline = document.content_type.startswith("application/pdf") and request.args.get("download") != "1"
            disposition = "inline" if inline else "attachment"
            return response.raw(
                document.body, content_type=document.content_type,
                headers={**SECURITY_HEADERS, "Content-Disposition": f'{disposition}; filename="{document.filename}"'},
            )

        @documents.route("/pay/callback", methods=["POST"])
        async def payment_callback(request: Request) -> HTTPResponse:
            if not self.checkout_limiter.allow(client_ip(request)):
                return response.json({"error": "too_many_requests"}, status=429, headers=SECURITY_HEADERS)
            try:
                order = accept_payment_callback(_callback_fields(request))
            except Exception as error:
                for kind, status, code in _CALLBACK_REFUSALS:
                    if isinstance(error, kind):
                        logger.warning("payment callback not settled (%s): %s", code, error)
                        return response.json({"error": code}, status=status, headers=SECURITY_HEADERS)
                logger.exception("payment callback failed")
                return response.json({"error": "busy"}, status=503, headers=SECURITY_HEADERS)
            await announce_settled(request.app, order)
            return response.json({"status": order.status, "reference": order.reference}, headers=SECURITY_HEADERS)

        def checkout_page_route(handler: Callable[[Request, Text], Awaitable[HTTPResponse]]):
            """A checkout page: throttled per client IP, only in demo mode, a failure is a polite page."""
            @wraps(handler)
            async def guarded(request: Request, token: Text) -> HTTPResponse:
                if not self.checkout_limiter.allow(client_ip(request)):
                    return message_page("too_many_requests")
                if not demo_payments_on():
                    return message_page("payments_off")
                try:
                    return await handler(request, token)
                except Exception:
                    logger.exception("checkout of link %s failed", _short(token))
                    return message_page("busy")
            return guarded

        @documents.route("/pay/<token>", methods=["GET"])
        @checkout_page_route
        async def checkout(request: Request, token: Text) -> HTTPResponse:
            order = checkout_view(token)
            return checkout_page(order) if order else message_page("order_not_found")

        @documents.route("/pay/<token>", methods=["POST"])
        @checkout_page_route
        async def pay(request: Request, token: Text) -> HTTPResponse:
            order = checkout_view(token)
            if order is None:
                return message_page("order_not_found")
            if order.status == "pending":
                try:  # the demo gateway "takes the money" and calls back, signed, as a real one would
                    settled = accept_payment_callback(DemoPaymentProvider().signed_callback(order.reference,
                                                                                            order.amount))
                    await announce_settled(request.app, settled)
                    logger.info("demo payment settled for order %s", _short(order.reference))
                except PeriodAlreadyPaid:
                    pass  # paid by another order, or by this one a moment ago (a double press): see below
                except (PaymentError, CallbackRefused) as error:
                    logger.warning("demo payment for link %s not settled: %s", _short(token), error)
                    return message_page("order_not_found")
                order = checkout_view(token)
            return paid_page(order) if order.status == "paid" else message_page("period_already_paid")

        return documents
