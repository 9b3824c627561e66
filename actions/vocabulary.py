"""Words that fill response templates (statuses, frequencies, methods) in Chinese and English.

Whole sentences live in the domain; Traditional Chinese is generated from the Chinese here.
"""
from __future__ import annotations

from typing import Optional

_WORDS = {
    "in_force": ("有效", "In force"),
    "grace": ("宽限期中", "In grace period"),
    "lapsed": ("已失效", "Lapsed"),
    "annual": ("每年", "yearly"),
    "monthly": ("每月", "monthly"),
    "bank_debit": ("银行卡扣款", "bank debit"),
    "wechat_pay": ("微信支付", "WeChat Pay"),
    "alipay": ("支付宝", "Alipay"),
    "hospital": ("住院", "Hospital stay"),
    "accident": ("意外", "Accident"),
    "critical_illness": ("重大疾病", "Critical illness"),
    "death": ("身故", "Death"),
    "received": ("已受理", "Received"),
    "documents_checked": ("材料已审核", "Documents checked"),
    "under_review": ("审核中", "Under review"),
    "approved": ("已同意赔付", "Approved"),
    "declined": ("不予赔付", "Declined"),
    "paid": ("已赔付", "Paid"),
    "not_yet": ("待定", "not set yet"),
    "pay_all": ("全部一起交", "Pay all together"),
    "none": ("无", "none"),
}


def word(key: Optional[str], language: Optional[str]) -> str:
    zh, en = _WORDS.get(key or "", (key or "", key or ""))
    return en if language == "en" else zh
