"""Reading the claim form's answers, typed, spoken or pressed: who, what, how much, which item to change.

Buttons send payloads such as /inform{"claim_event_type":"hospital"}; the same readers find the key
in them, so a pressed button and a typed "住院" land on the same value.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Optional, Sequence, Union

from actions.service.claims.reports import EVENT_TYPES, InsuredPerson
from actions.service.language import to_simplified
from actions.service.numbers import parse_amount

UNKNOWN = "unknown"

_EVENT_WORDS = (  # checked in order: 重疾 before 病, 身故 before 意外 (意外身故 is a death claim)
    ("death", r"身故|去世|过世|过身|走了|死|病逝|passed away|died|death|dead"),
    ("critical_illness", r"重大疾病|重疾|癌|肿瘤|心梗|中风|脑梗|critical|cancer|stroke|heart attack"),
    ("accident", r"意外|摔|跌|车祸|撞|骨折|烫伤|accident|fell|fall|injur|crash"),
    ("hospital", r"住院|医院|生病|病|看病|手术|入院|hospital|\bill\b|sick|surgery|operation"),
)
_RELATION_WORDS = (  # the reporter's words for a relative -> the relation stored on the family link
    ("mother", r"妈|母亲|老母|mother|mum|mom"),
    ("father", r"爸|父亲|老豆|father|dad"),
    ("daughter", r"女儿|个女|daughter"),
    ("son", r"儿子|个仔|\bson\b"),
    ("wife", r"老婆|太太|妻子|wife"),
    ("husband", r"老公|丈夫|先生|husband"),
    ("self", r"本人|我自己|自己|myself|\bme\b|\bself\b|^我$"),
)
_DONT_KNOW = r"unknown|不知道|不清楚|不记得|唔知|唔清楚|don'?t know|not sure|no idea"
_CHANGE_WORDS = (
    ("claim_insured", r"出险人|谁|邊位|边位|who|person"),
    ("claim_event_type", r"事情|类型|什么事|what happened|\bwhat\b|type|event"),
    ("claim_event_date", r"日期|哪天|时间|日子|date|when|day"),
    ("claim_place", r"地点|医院|地方|哪里|where|place|hospital"),
    ("claim_description", r"经过|描述|情况|description|story|details"),
    ("claim_amount", r"金额|钱|费用|amount|money|cost"),
    ("claim_contact_phone", r"电话|号码|手机|phone|number"),
)


def _normalized(text: str) -> str:
    return to_simplified(text or "").lower().strip()


def _payload_value(text: str, key: str) -> Optional[str]:
    match = re.search(rf'"{key}"\s*:\s*"([^"]*)"', text or "")
    return match.group(1) if match else None


def read_event_type(text: str) -> Optional[str]:
    pressed = _payload_value(text, "claim_event_type")
    if pressed in EVENT_TYPES:
        return pressed
    said = _normalized(text)
    return next((event for event, words in _EVENT_WORDS if re.search(words, said)), None)


def read_insured(text: str, people: Sequence[InsuredPerson]) -> Optional[InsuredPerson]:
    """The person chosen by button (customer id), by name, or by how the reporter calls them."""
    pressed = _payload_value(text, "claim_insured")
    if pressed is not None:
        return next((p for p in people if str(p.customer_id) == pressed), None)
    said = _normalized(text)
    by_name = [p for p in people if _normalized(p.name) in said or (p.name_en and p.name_en.lower() in said)]
    if len(by_name) == 1:
        return by_name[0]
    for relation, words in _RELATION_WORDS:
        if re.search(words, said):
            return next((p for p in people if p.relation == relation), None)
    return None


def read_amount(text: str) -> Union[Decimal, str, None]:
    """A positive amount, UNKNOWN when they don't know, None when it can't be read."""
    pressed = _payload_value(text, "claim_amount")
    if pressed == UNKNOWN or re.search(_DONT_KNOW, _normalized(text)):
        return UNKNOWN
    amount = parse_amount(pressed or text or "")
    return amount.quantize(Decimal("0.01")) if amount is not None and amount > 0 else None


def read_change_field(text: str, fields: Sequence[str]) -> Optional[str]:
    """Which of the form's `fields` the customer wants to change."""
    pressed = _payload_value(text, "claim_change_field")
    if pressed in fields:
        return pressed
    said = _normalized(text)
    return next((field for field, words in _CHANGE_WORDS if field in fields and re.search(words, said)), None)


def wants_change(text: str) -> bool:
    return _payload_value(text, "claim_confirmed") == "change" or re.search(
        r"修改|改一下|改|更正|不对|change|correct|wrong|edit", _normalized(text)) is not None
