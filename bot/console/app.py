"""The agent console: people take over conversations from the bot, served by Rasa at /webhooks/console/.

A Rasa input channel (mounted by credentials.yml) so that it runs in the Rasa server next to the
customer channels: it reads conversations from Rasa's tracker store in-process and sends agents'
replies out on the customer's own channel (bot.channels.human_lane). Tickets, messages, agents and
the audit log live in the service layer (actions.service.human_lane.handoff / agents); the console is the
embedded HandoffBackend's user interface and learns about new tickets by polling
`queue_version()` (the action server opens tickets in another process).

Routes (Rasa adds the /webhooks/console prefix). Only the login page and the login POST answer
without a session; pages redirect to the login page, the API answers 401 JSON.

    GET  /  /login  /queue  /ticket/<id>      pages (HTML, inline code pinned by CSP hashes)
    POST /login  /logout                      JSON {"username", "password"}; sets/clears the cookie
    GET  /api/me  /api/queue  /api/tickets/<id>  /api/tickets/<id>/messages?after=N
    POST /api/tickets/<id>/take|reply|note|resolve|handback    reply/note: JSON {"text"}
    POST /api/tickets/<id>/verify             the agent's identity check: JSON {"lookup" (phone or policy
                                              number), "id_last4", "birth_date"}; 422 wrong, 429 no tries left
    GET  /api/agents  /api/audit              supervisors only (403 for agents): agents with presence and
                                              each language's queue (waiting, longest wait, SLA breaches)
    GET  /api/events[?ticket=<id>&after=N]    server-sent events: queue, message, ticket, logout
    GET  /voc  /voc/chart/<name>.png  /voc/report.pdf  /voc/export.csv   supervisors only: voice of the
                                              customer (bot/console/voc_pages.py)

Security: the session token is in an HttpOnly, SameSite=Strict cookie scoped to the console
(Secure when served over https); every POST must carry `X-Anxin-Console: 1` (a header a
cross-site form cannot set); every view of customer data is written to the audit log; agents
see only tickets in their languages (and the ones they hold), supervisors everything.
SameSite does not separate ports (a page on localhost:8080 is same-site to localhost:5005 and
gets the cookie sent), so the API and the login also refuse any request a browser says came
from another origin (Origin, Sec-Fetch-Site), and the console never answers CORS (bot/serve.py).
"""
from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import inspect
import json
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple
from urllib.parse import urlsplit

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.events import SlotSet
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.service.customers.identity_proof import conversation_scope, sign_identity
from actions.service.human_lane import agents as agent_accounts
from actions.service.human_lane import handoff, identity_checks
from actions.service.language import in_language
from actions.service.core.settings import get_settings
from bot.channels import human_lane
from bot.channels.phrases import VERIFIED_BY_AGENT
from bot.console import voc_pages
from bot.console.labels import identity_check_label, intent_label, verified_by_label
from bot.console.views import (
    SLA_FIRST_RESPONSE_SECONDS, agents_json, canned_replies, collected_fields, forms_seen, intents_seen,
    main_intent, message_json, one_line_summary, open_claims_json, plain, policies_json, queue_json,
    stored_transcript, ticket_json, tracker_transcript, verification_json, visible_to,
)

logger = logging.getLogger(__name__)

BASE = "/webhooks/console"
WEB = Path(__file__).resolve().parent / "web"
COOKIE = "anxin_console"
COOKIE_MAX_AGE = 8 * 3600  # the session's absolute lifetime; the service layer enforces idle expiry
CSRF_HEADER = "X-Anxin-Console"
POLL_SECONDS = 0.5
HANDOFF_ANSWER_GRACE = timedelta(seconds=10)
HEARTBEAT_SECONDS = 10
SESSION_RECHECK_SECONDS = 30  # also keeps the agent counted as online while the console is open
MAX_TEXT = 2000

# The agent's identity check: what the customer answered (phone or policy number, ID last 4, birth date).
ANSWERS = ("lookup", "id_last4", "birth_date")
MAX_ANSWER = 64
CHECK_STATUS = {"mismatch": 422, "too_many": 429, "unreadable": 400, "not_yours": 409}
IDENTITY_PROOF_SLOT = "identity_proof"  # the slot actions.common reads the signed identity from

OUTCOME_NOTES = {handoff.RESOLVED: "已解决 resolved", handoff.HANDED_BACK: "已交回机器人 handed back to the bot"}

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


class Pages:
    """The console's pages, read once; their one style and one script are inlined and pinned by hash."""

    def __init__(self) -> None:
        self.style = (WEB / "console.css").read_text(encoding="utf-8")
        self.script = (WEB / "console.js").read_text(encoding="utf-8")
        self.headers = {
            **SECURITY_HEADERS,
            "Content-Security-Policy": (
                f"default-src 'none'; script-src '{_sha256(self.script)}'; style-src '{_sha256(self.style)}'; "
                "connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            ),
        }
        self.html = {name: self._build(name) for name in ("login", "queue", "ticket")}

    def _build(self, name: str) -> str:
        page = (WEB / f"{name}.html").read_text(encoding="utf-8")
        return (page.replace("{{BASE}}", BASE)
                .replace("{{STYLE}}", f"<style>{self.style}</style>")
                .replace("{{SCRIPT}}", f"<script>{self.script}</script>"))

    def page(self, name: str) -> HTTPResponse:
        return response.html(self.html[name], headers=self.headers)


def _json(body: Dict[str, Any], status: int = 200) -> HTTPResponse:
    return response.json(body, status=status, headers=SECURITY_HEADERS, ensure_ascii=False)


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return _json({"error": code, "message": message}, status)


def _secure_request(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.scheme == "https" or forwarded == "https" or get_settings().public_url.startswith("https://")


def _set_session_cookie(resp: HTTPResponse, request: Request, token: str, max_age: int) -> None:
    resp.cookies[COOKIE] = token
    cookie = resp.cookies[COOKIE]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = BASE
    cookie["max-age"] = max_age
    if _secure_request(request):
        cookie["secure"] = True


def _session_token(request: Request) -> str:
    return request.cookies.get(COOKIE, "") or ""


def _current_agent(request: Request) -> Optional[Any]:
    token = _session_token(request)
    if not token:
        return None
    try:
        return agent_accounts.agent_for_session(token)
    except Exception:
        logger.exception("could not check a console session")
        return None


def _from_another_origin(request: Request) -> bool:
    """A browser says a page of another origin made this request (another port of the same host counts)."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = request.headers.get("origin")
    own = {request.host, urlsplit(get_settings().public_url).netloc}
    return origin is not None and urlsplit(origin).netloc not in own  # "null" (sandboxed pages) too


def _not_from_console_page(request: Request) -> Optional[HTTPResponse]:
    """The 403 for a request the console's own pages did not make: another origin, or a POST without the header."""
    if _from_another_origin(request) or (request.method == "POST" and request.headers.get(CSRF_HEADER) != "1"):
        return _error(403, "csrf", "This request must come from the console page.")
    return None


def api(role: Optional[str] = None) -> Callable:
    """An API handler: only from the console's pages (403), session required (401), the role if given (403)."""

    def decorate(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
        @functools.wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            refused = _not_from_console_page(request)
            if refused is not None:
                return refused
            agent = _current_agent(request)
            if agent is None:
                return _error(401, "login_required", "Please log in.")
            if role and agent.role != role:
                return _error(403, "forbidden", "Only supervisors can see this.")
            try:
                return await handler(request, agent, *args, **kwargs)
            except Exception:
                logger.exception("console %s %s failed", request.method, request.path)
                return _error(500, "busy", "Sorry, something went wrong. Please try again.")

        return guarded

    return decorate


def _body(request: Request) -> Dict[str, Any]:
    """The JSON object posted, or {} for an empty or malformed body."""
    try:
        body = request.json if request.body else None
    except Exception:  # Sanic refuses malformed JSON with an exception
        return {}
    return body if isinstance(body, dict) else {}


def ticket_api(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
    """An API handler about one ticket: called with the ticket's view if this agent may see it."""

    @functools.wraps(handler)
    async def with_ticket(request: Request, agent: Any, ticket_id: int) -> HTTPResponse:
        view = _ticket_for(agent, ticket_id)
        if isinstance(view, HTTPResponse):
            return view
        return await handler(request, agent, view)

    return with_ticket


def _text_of(request: Request) -> Optional[str]:
    text = _body(request).get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    return text.strip()[:MAX_TEXT]


def _int_arg(request: Request, name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else default


def _ticket_for(agent: Any, ticket_id: int) -> Any:
    """The ticket if this agent may see it, else the answer to give: 404 (no such ticket) or 403."""
    view = handoff.get_ticket(ticket_id)
    if view is None:
        return _error(404, "not_found", "No such conversation.")
    if not visible_to(agent, view):
        return _error(403, "forbidden", "This conversation is in a language queue you do not serve.")
    return view


def _cookie_max_age() -> int:
    return int(getattr(get_settings(), "agent_session_hours", COOKIE_MAX_AGE // 3600) * 3600)


async def _tracker_of(request: Request, sender_id: str) -> Optional[Any]:
    rasa_agent = getattr(request.app.ctx, "agent", None)
    store = getattr(rasa_agent, "tracker_store", None)
    if store is None:
        return None
    tracker = store.retrieve(sender_id)
    return await tracker if inspect.isawaitable(tracker) else tracker


def _form_fields(request: Request, forms: List[str]) -> Dict[str, List[str]]:
    domain = getattr(getattr(request.app.ctx, "agent", None), "domain", None)
    if domain is None:
        return {}
    return {form: list(domain.required_slots_for_form(form)) for form in forms}


async def conversation_json(request: Request, agent: Any, view: Any) -> Dict[str, Any]:
    """Everything the agent needs to never re-ask: transcript, intent, fields, verification, policies, claims."""
    detail = handoff.ticket_detail(view.id, viewer_id=agent.id)  # the view is audited there
    ticket = ticket_json(view)
    tracker = await _tracker_of(request, view.sender_id)
    events = [event.as_dict() for event in tracker.events] if tracker is not None else []
    slots = dict(tracker.current_slot_values()) if tracker is not None else {}
    # The bot's answer to the handoff itself (place in queue) comes just after the ticket was opened.
    transcript = tracker_transcript(events, until=view.created_at + HANDOFF_ANSWER_GRACE)
    if not transcript:
        transcript = stored_transcript(detail.transcript)
    intents = intents_seen(events)
    intent = main_intent(intents, view.intent or view.reason)
    fields = collected_fields(slots, _form_fields(request, forms_seen(events)))
    customer_id = view.customer_id
    verification = verification_json(slots, customer_id, detail.customer, view.verified_by)
    policies = policies_json(customer_id) if customer_id else []
    claims = open_claims_json(customer_id) if customer_id else []
    messages = [message_json(m) for m in detail.messages]
    return {
        "ticket": ticket,
        "summary": one_line_summary(ticket, verification, intent, fields, len(policies), len(claims)),
        "intent": intent,
        "intent_label": intent_label(intent) if intent else "",
        "intents": intents,
        "fields": fields,
        "verification": verification,
        "policies": policies,
        "claims": claims,
        "transcript": transcript,
        "messages": messages,
        "canned_replies": canned_replies(view.language),
        "mine": view.agent_id == agent.id,
    }


def _me_json(agent: Any) -> Dict[str, Any]:
    return {"id": agent.id, "username": agent.username, "display_name": agent.display_name,
            "role": agent.role, "skills": list(agent.skills), "sla_seconds": SLA_FIRST_RESPONSE_SECONDS}


def _queue_payload(agent: Any) -> Dict[str, Any]:
    return {"tickets": queue_json(agent, handoff.queue()), "sla_seconds": SLA_FIRST_RESPONSE_SECONDS}


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(plain(data), ensure_ascii=False)}\n\n"


async def _deliver(coroutine: Awaitable[Any], what: str) -> bool:
    """Run a human_lane call; a failure is logged (the ticket is already stored), never raised at the agent."""
    try:
        return await coroutine is not False
    except Exception:
        logger.exception("console: could not %s", what)
        return False


class ConsoleInput(InputChannel):
    """The agent console (embedded HandoffBackend UI); sends nothing to the bot itself."""

    @classmethod
    def name(cls) -> Text:
        return "console"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        console = Blueprint("custom_webhook_ConsoleInput", __name__)
        pages = Pages()

        def page(name: str) -> Callable[..., Awaitable[HTTPResponse]]:
            async def show(request: Request, **_: Any) -> HTTPResponse:
                if _current_agent(request) is None:
                    return response.redirect(f"{BASE}/login", headers=SECURITY_HEADERS)
                return pages.page(name)

            return show

        console.add_route(page("queue"), "/", methods=["GET"], name="root")
        console.add_route(page("queue"), "/queue", methods=["GET"], name="queue_page")
        console.add_route(page("ticket"), "/ticket/<ticket_id:int>", methods=["GET"], name="ticket_page")
        voc_pages.register(console, BASE, pages.style, pages.headers, _current_agent, _from_another_origin)

        @console.route("/login", methods=["GET"])
        async def login_page(request: Request) -> HTTPResponse:
            if _current_agent(request) is not None:
                return response.redirect(f"{BASE}/queue", headers=SECURITY_HEADERS)
            return pages.page("login")

        @console.route("/login", methods=["POST"])
        async def login(request: Request) -> HTTPResponse:
            refused = _not_from_console_page(request)
            if refused is not None:
                return refused
            body = _body(request)
            username, password = str(body.get("username") or ""), str(body.get("password") or "")
            try:
                session = agent_accounts.login(username, password)
            except agent_accounts.AccountLocked as locked:
                until = plain(getattr(locked, "until", None))
                return _json({"error": "locked", "until": until,
                              "message": "Too many wrong passwords: this account is locked for 15 minutes. "
                                         "密码错误次数过多，账号已锁定 15 分钟。"}, 423)
            except Exception:
                logger.exception("console login failed")
                return _error(500, "busy", "Sorry, something went wrong. Please try again.")
            if session is None:
                return _error(401, "wrong_password", "Wrong username or password. 用户名或密码不对。")
            resp = _json({"ok": True, "next": f"{BASE}/queue", "agent": _me_json(session.agent)})
            _set_session_cookie(resp, request, session.token, _cookie_max_age())
            return resp

        @console.route("/logout", methods=["POST"])
        @api()
        async def logout(request: Request, agent: Any) -> HTTPResponse:
            agent_accounts.logout(_session_token(request))  # audited by the service layer
            resp = _json({"ok": True, "next": f"{BASE}/login"})
            _set_session_cookie(resp, request, "", 0)
            return resp

        @console.route("/api/me", methods=["GET"])
        @api()
        async def me(request: Request, agent: Any) -> HTTPResponse:
            return _json(_me_json(agent))

        @console.route("/api/queue", methods=["GET"])
        @api()
        async def queue(request: Request, agent: Any) -> HTTPResponse:
            payload = _queue_payload(agent)
            agent_accounts.record_audit(agent.id, "view_queue", detail=f"tickets={len(payload['tickets'])}")
            return _json(payload)

        @console.route("/api/tickets/<ticket_id:int>", methods=["GET"])
        @api()
        @ticket_api
        async def ticket(request: Request, agent: Any, view: Any) -> HTTPResponse:
            return _json(await conversation_json(request, agent, view))

        @console.route("/api/tickets/<ticket_id:int>/messages", methods=["GET"])
        @api()
        @ticket_api
        async def messages(request: Request, agent: Any, view: Any) -> HTTPResponse:
            after = _int_arg(request, "after", 0)
            rows = [message_json(m) for m in handoff.ticket_messages(view.id, after_id=after)]
            agent_accounts.record_audit(agent.id, "view_messages", ticket_id=view.id,
                                        customer_id=view.customer_id, detail=f"after={after}")
            return _json({"messages": rows})

        @console.route("/api/tickets/<ticket_id:int>/take", methods=["POST"])
        @api()
        @ticket_api
        async def take(request: Request, agent: Any, view: Any) -> HTTPResponse:
            if not handoff.take_ticket(view.id, agent.id):  # atomic; audited by the service layer
                return _error(409, "taken", "Another agent has already taken this conversation.")
            view = handoff.get_ticket(view.id)
            handoff.add_message(view.id, "system", f"{agent.display_name} 已接入 joined")  # for the transcript
            await _deliver(human_lane.notify_joined(view.sender_id, view.channel, view.language, agent.display_name),
                           f"announce agent on {view.id}")
            return _json({"ok": True, "ticket": ticket_json(view)})

        @console.route("/api/tickets/<ticket_id:int>/reply", methods=["POST"])
        @api()
        @ticket_api
        async def reply(request: Request, agent: Any, view: Any) -> HTTPResponse:
            text = _text_of(request)
            if text is None:
                return _error(400, "empty", "Please write a reply first.")
            if view.status != handoff.ACTIVE or view.agent_id != agent.id:
                return _error(409, "not_yours", "Take this conversation first.")
            message_id = handoff.handoff_backend().agent_message(view.id, agent.id, text)
            delivered = await _deliver(human_lane.send_to_customer(
                view.sender_id, view.channel,
                human_lane.LaneMessage(text, human_lane.HUMAN, agent.display_name, view.language),
            ), f"deliver reply on {view.id}")
            agent_accounts.record_audit(agent.id, "reply", ticket_id=view.id, customer_id=view.customer_id,
                                        detail=f"message={message_id} delivered={delivered}")
            return _json({"ok": True, "id": message_id, "delivered": delivered})

        @console.route("/api/tickets/<ticket_id:int>/note", methods=["POST"])
        @api()
        @ticket_api
        async def note(request: Request, agent: Any, view: Any) -> HTTPResponse:
            text = _text_of(request)
            if text is None:
                return _error(400, "empty", "Please write a note first.")
            message_id = handoff.add_message(view.id, "note", text, agent_id=agent.id)
            agent_accounts.record_audit(agent.id, "note", ticket_id=view.id, customer_id=view.customer_id,
                                        detail=f"message={message_id}")
            return _json({"ok": True, "id": message_id})

        async def finish(request: Request, agent: Any, view: Any, outcome: str) -> HTTPResponse:
            if agent.role != "supervisor" and view.agent_id != agent.id:
                return _error(409, "not_yours", "Take this conversation first.")
            finished = handoff.handoff_backend().resolve(view.id, agent.id, outcome)  # audited there
            if finished is None:
                return _error(409, "closed", "This conversation is already closed.")
            handoff.add_message(view.id, "system", f"{agent.display_name}: {OUTCOME_NOTES[outcome]}")
            resumed = await _deliver(human_lane.resume_bot(
                request.app.ctx.agent, finished.sender_id, finished.channel, rate=outcome == handoff.RESOLVED,
            ), f"resume the bot after {view.id}")
            return _json({"ok": True, "ticket": ticket_json(finished), "bot_resumed": resumed})

        @console.route("/api/tickets/<ticket_id:int>/resolve", methods=["POST"])
        @api()
        @ticket_api
        async def resolve(request: Request, agent: Any, view: Any) -> HTTPResponse:
            return await finish(request, agent, view, handoff.RESOLVED)

        @console.route("/api/tickets/<ticket_id:int>/handback", methods=["POST"])
        @api()
        @ticket_api
        async def handback(request: Request, agent: Any, view: Any) -> HTTPResponse:
            return await finish(request, agent, view, handoff.HANDED_BACK)

        @console.route("/api/tickets/<ticket_id:int>/verify", methods=["POST"])
        @api()
        @ticket_api
        async def verify_identity(request: Request, agent: Any, view: Any) -> HTTPResponse:
            body = _body(request)
            lookup, last4, born = (str(body.get(name) or "")[:MAX_ANSWER] for name in ANSWERS)
            if view.status != handoff.ACTIVE or view.agent_id != agent.id:
                return _error(409, "not_yours", identity_check_label(identity_checks.NOT_YOURS))
            # the answers go to the service layer only: never logged, stored or echoed
            result = await asyncio.to_thread(identity_checks.check_identity_for_ticket, view.id, agent.id,
                                             lookup, last4, born)
            if result.outcome != identity_checks.VERIFIED:
                status = CHECK_STATUS.get(result.outcome, 409)
                return _json({"error": result.outcome, "attempts_left": result.attempts_left,
                              "message": identity_check_label(result.outcome, result.attempts_left)}, status)
            name = result.customer_name_en if view.language == "en" and result.customer_name_en else result.customer_name
            await verify_conversation(request.app.ctx.agent, view.sender_id, view.channel, result.customer_id,
                                      name, result.is_senior)
            handoff.add_message(view.id, "system", verified_by_label(agent.display_name))  # for the transcript
            await _deliver(human_lane.send_to_customer(view.sender_id, view.channel, human_lane.LaneMessage(
                in_language(VERIFIED_BY_AGENT, view.language), human_lane.SYSTEM, agent.display_name, view.language,
            )), f"tell the customer of {view.id} they are verified")
            return _json({"ok": True, "verified_by": agent.display_name,
                          "message": verified_by_label(agent.display_name),
                          "ticket": ticket_json(handoff.get_ticket(view.id))})

        @console.route("/api/agents", methods=["GET"])
        @api(role="supervisor")
        async def agents(request: Request, agent: Any) -> HTTPResponse:
            agent_accounts.record_audit(agent.id, "view_agents")
            return _json({"agents": agents_json(agent_accounts.list_agents()), "queues": plain(handoff.queue_summary())})

        @console.route("/api/audit", methods=["GET"])
        @api(role="supervisor")
        async def audit(request: Request, agent: Any) -> HTTPResponse:
            limit = min(500, max(1, _int_arg(request, "limit", 100)))
            agent_accounts.record_audit(agent.id, "view_audit", detail=f"limit={limit}")
            return _json({"audit": plain(agent_accounts.audit_log(limit))})

        @console.route("/api/events", methods=["GET"])
        @api()
        async def events(request: Request, agent: Any) -> Optional[HTTPResponse]:
            ticket_id = _int_arg(request, "ticket", 0) or None
            after = _int_arg(request, "after", 0)
            customer_id = None
            if ticket_id is not None:
                view = _ticket_for(agent, ticket_id)
                if isinstance(view, HTTPResponse):
                    return view
                customer_id = view.customer_id
            agent_accounts.record_audit(agent.id, "watch_conversation" if ticket_id else "watch_queue",
                                        ticket_id=ticket_id, customer_id=customer_id)
            stream = await request.respond(content_type="text/event-stream; charset=utf-8",
                                           headers={**SECURITY_HEADERS, "X-Accel-Buffering": "no"})
            await _stream_events(request, stream, agent, ticket_id, after)
            return None

        return console


async def verify_conversation(rasa_agent: Any, sender_id: str, channel: str, customer_id: int,
                              customer_name: str, is_senior: bool) -> None:
    """The conversation is verified as this customer, as the bot's own check leaves it: the signed
    proof (bound to this conversation) and the slots, so after the hand-back the bot answers policy
    questions without asking again."""
    proof = sign_identity(customer_id, conversation_scope(sender_id, channel))
    events = [SlotSet("verified", True), SlotSet("customer_id", customer_id), SlotSet(IDENTITY_PROOF_SLOT, proof),
              SlotSet("customer_name", customer_name), SlotSet("is_senior", is_senior),
              SlotSet("pending_request", None)]
    async with rasa_agent.lock_store.lock(sender_id):
        tracker = await rasa_agent.tracker_store.get_or_create_tracker(sender_id)
        for event in events:
            tracker.update(event)
        await rasa_agent.tracker_store.save(tracker)


def _changes(agent: Any, ticket_id: Optional[int], after: int) -> Tuple[str, int]:
    """The events for one change: the queue, and the watched conversation's new messages and state."""
    events = [_sse("queue", _queue_payload(agent))]
    if ticket_id is not None:
        for message in handoff.ticket_messages(ticket_id, after_id=after):
            row = message_json(message)
            after = max(after, int(row.get("id") or 0))
            events.append(_sse("message", row))
        view = handoff.get_ticket(ticket_id)
        if view is not None:
            events.append(_sse("ticket", ticket_json(view)))
    return "".join(events), after


async def _stream_events(request: Request, stream: Any, agent: Any, ticket_id: Optional[int], after: int) -> None:
    """Push the queue (and one conversation's new messages) whenever the service layer's version changes."""
    token = _session_token(request)
    version = None
    last_sent = last_check = time.monotonic()
    try:
        await stream.send("retry: 2000\n\n")
        while not request.transport.is_closing():
            now = time.monotonic()
            if now - last_check >= SESSION_RECHECK_SECONDS:
                last_check = now
                agent = await asyncio.to_thread(agent_accounts.agent_for_session, token)
                if agent is None:
                    await stream.send(_sse("logout", {"next": f"{BASE}/login"}))
                    break
            current = await asyncio.to_thread(handoff.queue_version)
            if current != version:
                version = current
                # Built off the event loop: with hundreds of tickets this is milliseconds of work.
                changes, after = await asyncio.to_thread(_changes, agent, ticket_id, after)
                await stream.send(changes)
                last_sent = now
            elif now - last_sent >= HEARTBEAT_SECONDS:
                await stream.send(": keep-alive\n\n")
                last_sent = now
            await asyncio.sleep(POLL_SECONDS)
    except asyncio.CancelledError:
        raise  # the agent closed the page: Sanic cancels the handler
    except ConnectionError:
        pass
    except Exception:
        logger.exception("console event stream failed")
