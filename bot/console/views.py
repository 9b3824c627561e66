"""What the agent console shows: tickets, the conversation so far and the customer, as JSON.

Plain functions over the service layer and a Rasa tracker's events (a list of dicts), so they can
be tested without a server. Every number a customer typed is masked before it leaves here.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from actions.service.human_lane.agents import ONLINE_WINDOW, agents_last_seen, serves
from actions.service.claims.reports import CLAIM_STEPS, DECLINED, list_claims
from actions.service.formatting import long_date, mask_account, mask_digits_in_text, mask_id_answer, mask_phone, money
from actions.service.customers.identity import is_senior_age
from actions.service.human_lane.handoff import FIRST_RESPONSE_SLA
from actions.service.policies.lookup import list_policies
from bot.console.labels import (channel_label, form_label, intent_label, labels_for, language_label, pressed,
                                verified_by_label)

SLA_FIRST_RESPONSE_SECONDS = int(FIRST_RESPONSE_SLA.total_seconds())
TRANSCRIPT_LIMIT = 200  # pre-handoff lines shown; older ones are summarised by the summary line
AUTHORS = ("customer", "bot", "agent", "note", "system")
VOICE_CHANNELS = ("voice", "phone")
CLOSED_CLAIM_STATUSES = (CLAIM_STEPS[-1], DECLINED)

# Slots the agent never needs to read in clear: shown masked, or not at all.
_HIDDEN_SLOTS = {"id_last4": lambda value: "****"}
_PHONE_SLOTS = ("phone", "new_phone", "claim_contact_phone")
_ACCOUNT_SLOTS = ("new_account",)
_INTERNAL_SLOTS = ("requested_slot", "session_started_metadata")
_HANDOFF_INTENTS = ("request_human",)

# Canned replies per ticket language; the agent can edit before sending.
CANNED_REPLIES: Dict[str, Tuple[str, ...]] = {
    "zh-Hans": (
        "您好，我是安心人寿的客服，很高兴为您服务。",
        "我已经看到您刚才说的内容，不用再重复。",
        "请稍等，我马上帮您查一下。",
        "您的问题已经处理好了。还有什么可以帮您？",
        "感谢您的耐心等待。",
    ),
    "zh-Hant": (
        "您好，我是安心人壽的客服，很高興為您服務。",
        "我已經看到您剛才說的內容，不用再重複。",
        "請稍等，我馬上幫您查一下。",
        "您的問題已經處理好了。還有什麼可以幫您？",
        "感謝您的耐心等待。",
    ),
    "yue": (
        "您好，我係安心人壽嘅客服，好高興為您服務。",
        "我已經睇到您頭先講嘅嘢，唔使再講多次。",
        "請等一等，我即刻幫您查下。",
        "您嘅問題已經處理好。仲有冇其他可以幫到您？",
        "多謝您耐心等候。",
    ),
    "en": (
        "Hello, this is Anxin Life customer service. I am happy to help.",
        "I can see what you already told us, so there is no need to repeat it.",
        "One moment please, I am checking this for you.",
        "That is done now. Is there anything else I can help with?",
        "Thank you for waiting.",
    ),
}


def canned_replies(language: Optional[str]) -> List[str]:
    return list(CANNED_REPLIES.get(language or "", CANNED_REPLIES["zh-Hans"]))


def plain(value: Any) -> Any:
    """JSON-ready: dataclasses, dates, decimals and tuples turned into plain values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    return value


def ticket_json(view: Any) -> Dict[str, Any]:
    """One TicketView as JSON, with its customer-typed text masked."""
    data = plain(view)
    for key in ("summary",):
        if isinstance(data.get(key), str):
            data[key] = mask_digits_in_text(data[key])
    data["sla_seconds"] = SLA_FIRST_RESPONSE_SECONDS
    # what the agent reads: words, not the bot's names (the names stay for tools and tests)
    data["intent_label"] = intent_label(data.get("intent")) if data.get("intent") else ""
    data["channel_label"] = channel_label(data.get("channel"))
    data["language_label"] = language_label(data.get("language"))
    if isinstance(data.get("summary"), str):
        data["summary"] = pressed(data["summary"], []) or data["summary"]
    return data


def visible_to(agent: Any, view: Any) -> bool:
    """Supervisors see every queue; agents the tickets in their languages and the ones they hold."""
    if getattr(agent, "role", "") == "supervisor":
        return True
    if getattr(view, "agent_id", None) == agent.id:
        return True
    return serves(agent.skills, getattr(view, "language", None) or "")


def queue_json(agent: Any, views: Iterable[Any]) -> List[Dict[str, Any]]:
    return [ticket_json(view) for view in views if visible_to(agent, view)]


def message_json(message: Any) -> Dict[str, Any]:
    data = plain(message)
    if isinstance(data.get("text"), str):
        said = pressed(data["text"], []) if data.get("author") == "customer" else None
        data["text"] = said or mask_digits_in_text(data["text"])
    return data


# --- the tracker: what the customer said to the bot before the handoff ------------------------------------

def _event_time(event: Dict[str, Any]) -> Optional[datetime]:
    stamp = event.get("timestamp")
    return datetime.fromtimestamp(stamp, tz=timezone.utc) if isinstance(stamp, (int, float)) else None


def _as_utc(moment: Optional[datetime]) -> Optional[datetime]:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def tracker_transcript(events: Sequence[Dict[str, Any]], until: Optional[datetime] = None) -> List[Dict[str, Any]]:
    """Customer and bot turns (voice turns as their transcript), oldest first, up to the handoff."""
    until = _as_utc(until)
    lines: List[Dict[str, Any]] = []
    requested, buttons = None, []
    for event in events:
        kind, text = event.get("event"), event.get("text")
        if kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        if kind == "bot":
            buttons = (event.get("data") or {}).get("buttons") or buttons
        if kind == "user" and text:
            text = pressed(text, buttons) or text  # a press reads as the button's words
        if kind not in ("user", "bot") or not text:
            continue
        if kind == "user" and requested in _HIDDEN_SLOTS:  # the answer to "the last 4 digits of your ID"
            text = _HIDDEN_SLOTS[requested](text)
        moment = _event_time(event)
        if until is not None and moment is not None and moment > until:
            break
        line = {"author": "customer" if kind == "user" else "bot", "text": mask_digits_in_text(text),
                "at": moment.isoformat() if moment else None}
        if kind == "user" and event.get("input_channel") in VOICE_CHANNELS:
            line["voice"] = True
        lines.append(line)
    return lines[-TRANSCRIPT_LIMIT:]


def stored_transcript(lines: Iterable[Tuple[str, str]]) -> List[Dict[str, Any]]:
    """The ticket's own (who, text) copy, used when the tracker is not available."""
    return [{"author": who if who in AUTHORS else "customer",
             "text": (pressed(said, []) if who == "customer" else None)
             or mask_digits_in_text(mask_id_answer(said) if who == "customer" else said), "at": None}
            for who, said in lines][-TRANSCRIPT_LIMIT:]


def intents_seen(events: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Each intent the customer expressed, oldest first (repeats collapsed), with its confidence."""
    seen: List[Dict[str, Any]] = []
    for event in events:
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        name = intent.get("name")
        if not name:
            continue
        if seen and seen[-1]["name"] == name:
            continue
        seen.append({"name": name, "label": intent_label(name),
                     "confidence": round(float(intent.get("confidence") or 0), 2)})
    return seen


def main_intent(intents: Sequence[Dict[str, Any]], reason: str = "") -> str:
    """What the customer came for: the last intent before they asked for a person."""
    for intent in reversed(intents):
        if intent["name"] not in _HANDOFF_INTENTS and intent["name"] not in ("nlu_fallback", "affirm", "deny",
                                                                              "inform", "greet"):
            return intent["name"]
    return reason or (intents[-1]["name"] if intents else "")


def forms_seen(events: Sequence[Dict[str, Any]]) -> List[str]:
    forms: List[str] = []
    for event in events:
        name = event.get("name") if event.get("event") == "active_loop" else None
        if name and name not in forms:
            forms.append(name)
    return forms


def masked_slot(name: str, value: Any) -> Any:
    if name in _HIDDEN_SLOTS:
        return _HIDDEN_SLOTS[name](value)
    if name in _PHONE_SLOTS and isinstance(value, str):
        return mask_phone(value)
    if name in _ACCOUNT_SLOTS and isinstance(value, str):
        return mask_account(value)
    if isinstance(value, str):
        return mask_digits_in_text(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [masked_slot(name, item) for item in value]
    return value


def collected_fields(slots: Dict[str, Any], forms: Dict[str, Sequence[str]]) -> Dict[str, Any]:
    """Every filled slot, masked, grouped by the form that asks for it ("other" for the rest)."""
    filled = {name: masked_slot(name, value) for name, value in sorted(slots.items())
              if name not in _INTERNAL_SLOTS and value not in (None, "", [])}
    grouped: Dict[str, Dict[str, Any]] = {}
    claimed = set()
    for form, required in forms.items():
        fields = {name: filled[name] for name in required if name in filled}
        if fields:
            grouped[form] = fields
            claimed.update(fields)
    other = {name: value for name, value in filled.items() if name not in claimed}
    return {"forms": grouped, "other": other, "labels": labels_for(list(grouped) + list(filled))}


def verification_json(slots: Dict[str, Any], customer_id: Optional[int], card: Any = None,
                      verified_by: str = "") -> Dict[str, Any]:
    """Whether the bot (or an agent, `verified_by`) checked who this is, and the customer record the
    ticket names (masked phone)."""
    age = getattr(card, "age", None)
    return {
        # Without the tracker, the ticket names a customer only after the bot verified them.
        "verified": bool(verified_by) or (bool(slots.get("verified")) if slots else customer_id is not None),
        "verified_by": verified_by,
        "verified_by_label": verified_by_label(verified_by),
        "customer_known": customer_id is not None,
        "customer_name": slots.get("customer_name") or getattr(card, "name", "") or "",
        "customer_name_en": getattr(card, "name_en", "") or "",
        "age": age,
        "is_senior": bool(slots.get("is_senior")) or is_senior_age(age),
        "tier": getattr(card, "tier", "") or "",
        "dialect": getattr(card, "dialect", "") or "",
        "phone": getattr(card, "phone", "") or (mask_phone(slots["phone"]) if slots.get("phone") else ""),
    }


def agents_json(accounts: Iterable[Any], now: Optional[datetime] = None) -> List[Dict[str, Any]]:
    """Every agent with whether they used the console lately (what a supervisor watches)."""
    accounts = list(accounts)
    seen = agents_last_seen([account.id for account in accounts])
    now = now or datetime.utcnow()
    return [{**plain(account), "online": seen.get(account.id) is not None and now - seen[account.id] <= ONLINE_WINDOW}
            for account in accounts]


# --- the customer's policies and open claims ------------------------------------------------------------

def policies_json(customer_id: int) -> List[Dict[str, Any]]:
    return [{
        "number": p.number, "product": p.product_name, "product_en": p.product_name_en, "status": p.status,
        "sum_assured": money(p.sum_assured), "premium": money(p.premium), "frequency": p.frequency,
        "next_due_date": long_date(p.next_due_date), "days_until_due": p.days_until_due,
        "overdue_days": p.overdue_days, "cash_value": money(p.cash_value),
        "debit_account": f"{p.bank_name} {mask_account(p.account_last4)}".strip(),
    } for p in list_policies(customer_id)]


def open_claims_json(customer_id: int) -> List[Dict[str, Any]]:
    return [{
        "reference": c.reference, "policy_number": c.policy_number, "insured": c.insured_name,
        "event_type": c.event_type, "event_date": long_date(c.event_date), "status": c.status,
        "amount": money(c.amount) if c.amount is not None else "", "next_step": c.next_step or "",
    } for c in list_claims(customer_id) if c.status not in CLOSED_CLAIM_STATUSES]


def one_line_summary(ticket: Dict[str, Any], verification: Dict[str, Any], intent: str,
                     fields: Dict[str, Any], policies: int, claims: int) -> str:
    """Who, in which language, verified or not, what they wanted and what they said last: one line."""
    who = verification["customer_name"] or ticket.get("customer_name") or "unknown customer"
    parts = [who]
    if verification["is_senior"] or ticket.get("priority") == "senior":
        parts.append("senior")
    elif ticket.get("priority") == "vip":
        parts.append("VIP")
    parts.append(language_label(ticket.get("language")))
    parts.append(verification.get("verified_by_label") or
                 ("已验证 verified" if verification["verified"] else "未验证 not verified"))
    if intent:
        parts.append(f"想办 wants: {intent_label(intent)}")
    for form, values in fields["forms"].items():
        parts.append(f"{form_label(form)}: {len(values)} 项 field(s) given")
    if policies:
        parts.append(f"{policies} polic{'y' if policies == 1 else 'ies'}")
    if claims:
        parts.append(f"{claims} open claim(s)")
    said = mask_digits_in_text(ticket.get("summary") or "").strip().replace("\n", " ")
    if said and not said.startswith("/"):  # a button's payload (/request_human) says nothing new
        parts.append(f'said: "{said[:80]}"')
    return " · ".join(part for part in parts if part)
