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
    "claims": ("理赔", "Claims"),
    "renewal_payment": ("交费续保", "Payments and renewal"),
    "sales_conduct": ("销售人员", "Sales agent"),
    "service_attitude": ("服务态度", "Service attitude"),
    "other": ("其他", "Other"),
    "dept_claims": ("理赔部", "the claims department"),
    "dept_policy_services": ("保全部", "policy services"),
    "dept_sales_compliance": ("销售合规部", "sales compliance"),
    "dept_service_quality": ("服务质量部", "service quality"),
    "dept_customer_service": ("客服中心", "customer service"),
    "open": ("已受理，等待回复", "Received, waiting for a reply"),
    "responded": ("已联系您，正在处理", "We have contacted you and are working on it"),
    "resolved": ("已处理完", "Resolved"),
    "reply_by": ("最晚回复时间：", "Reply by: "),
    "resolve_by": ("最晚处理完：", "Resolved by: "),
    "result": ("处理结果：", "Outcome: "),
    "self": ("本人", "Myself"),
    "mother": ("母亲", "Mother"),
    "father": ("父亲", "Father"),
    "daughter": ("女儿", "Daughter"),
    "son": ("儿子", "Son"),
    "wife": ("妻子", "Wife"),
    "husband": ("丈夫", "Husband"),
    "field_insured": ("出险人", "Who"),
    "field_event": ("事情", "What happened"),
    "field_date": ("日期", "Date"),
    "field_place": ("地点", "Place"),
    "field_description": ("经过", "Description"),
    "field_amount": ("医药费", "Medical bills"),
    "field_phone": ("联系电话", "Phone"),
    # Cantonese wording where it differs: a third entry (Traditional is generated from the first).
    "amount_unknown": ("还不清楚，以后补上就行", "not known yet (you can add it later)", "仲未清楚，之後補返就得"),
}


def word(key: Optional[str], language: Optional[str]) -> str:
    entry = _WORDS.get(key or "", (key or "", key or ""))
    if language == "en":
        return entry[1]
    return entry[2] if language == "yue" and len(entry) > 2 else entry[0]
