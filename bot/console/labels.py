"""What the agent reads instead of the bot's internal names: intents, forms, slots and channels as
human words (the console's own style, Chinese then English), and a button press as the button's words.

Every intent, form and slot of the domain has a label (tests/bot/console/test_console_labels.py).
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, Iterable, List, Optional

INTENTS: Dict[str, str] = {
    "greet": "打招呼 Greeting", "goodbye": "再见 Goodbye", "thank": "道谢 Thanks", "affirm": "同意 Yes",
    "deny": "不要 No", "bot_challenge": "问是不是机器人 Asked if a bot", "request_human": "要找人工 Asked for a person",
    "switch_language": "换语言 Change language", "query_policy": "查保单 Policy details",
    "query_premium": "查保费 Premium due", "pay_premium": "交保费 Pay premium",
    "change_payment_account": "换扣款卡 Change debit card", "request_invoice": "要发票 E-invoice",
    "set_reminder": "交费提醒 Payment reminders", "report_claim": "报案 Report a claim",
    "claim_status": "理赔进度 Claim progress", "policy_loan": "保单贷款 Policy loan",
    "update_contact": "改手机号 Change phone number", "complaint": "投诉 Complaint",
    "give_feedback": "评价 Feedback", "faq": "常见问题 Question", "inform": "回答 Answer",
    "out_of_scope": "不在服务范围 Out of scope", "nlu_fallback": "没听懂 Not understood",
    "confused": "没看懂/操作不了 Confused, needs help",
    "EXTERNAL_human_resolved": "人工已解决 Resolved by agent", "EXTERNAL_human_handed_back": "人工交回 Handed back",
    "EXTERNAL_payment_settled": "付款到账 Payment arrived",
}
FORMS: Dict[str, str] = {
    "verify_identity_form": "身份验证 Identity check", "payment_form": "交保费 Premium payment",
    "change_account_form": "换扣款卡 Debit card change", "update_contact_form": "改手机号 Phone number change",
    "policy_loan_form": "保单贷款 Policy loan", "report_claim_form": "报案 Claim report",
    "complaint_form": "投诉 Complaint",
}
SLOTS: Dict[str, str] = {
    "language": "语言 Language", "verified": "已验证 Verified", "customer_id": "客户编号 Customer no.",
    "identity_proof": "验证凭据 Verification proof", "customer_name": "姓名 Name", "is_senior": "长者 Senior",
    "pending_request": "验证后要办 To do after the check", "phone": "手机 Phone", "id_last4": "身份证后4位 ID last 4",
    "payment_policies": "要交的保单 Policies to pay", "payment_method": "付款方式 Payment method",
    "payment_order": "交费单 Payment order",
    "new_account": "新扣款卡 New debit card", "account_change_confirmed": "已确认换卡 Card change confirmed",
    "new_phone": "新手机号 New phone", "contact_change_confirmed": "已确认改号 Phone change confirmed",
    "loan_policy": "贷款保单 Loan policy", "loan_amount": "贷款金额 Loan amount",
    "claim_insured": "出险人 Insured person", "claim_event_type": "事故类型 What happened",
    "claim_event_date": "出险日期 Date", "claim_place": "地点 Place", "claim_description": "经过 Description",
    "claim_amount": "医疗费用 Medical bills", "claim_contact_phone": "联系电话 Contact phone",
    "claim_change_field": "要改的项目 Field to correct", "claim_changing": "正在修改 Correcting",
    "claim_confirmed": "已确认报案 Claim confirmed",
    "complaint_category": "投诉类别 Complaint type", "complaint_description": "投诉内容 Complaint",
    "complaint_outcome": "希望的结果 Outcome wanted",
    "service_completed": "服务已完成 Service done", "rating_asked": "已请评价 Rating asked",
}
CHANNELS: Dict[str, str] = {
    "socketio": "网页聊天 Web chat", "rest": "应用 App (REST)", "telegram": "Telegram", "phone": "电话 Phone call",
    "voice": "语音消息 Voice message", "cmdline": "测试 Test", "": "—",
}
LANGUAGES: Dict[str, str] = {"zh-Hans": "普通话 简体", "zh-Hant": "普通话 繁體", "yue": "粤语 Cantonese", "en": "English"}
OTHER = "其他 Other"
# The agent's identity check (bot/console/app.py): outcomes, and who verified the customer.
IDENTITY_CHECK: Dict[str, str] = {
    "verified": "身份已核实 Identity verified",
    "mismatch": "答案与客户资料不符，本单还可试 {left} 次 The answers do not match the record; {left} tries left",
    "too_many": "本单核对次数已用完，请转主管 No more checks on this conversation: ask a supervisor",
    "unreadable": "请填手机号或保单号、身份证后4位、出生日期 Please give the phone or policy number, "
                  "the ID card's last 4 and the birth date",
    "not_yours": "请先接入这个对话 Take this conversation first",
}
VERIFIED_BY = "客服 {agent} 已核实 verified by agent {agent}"

_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z_]+)(?P<entities>\{.*\})?$", re.S)


def intent_label(name: Optional[str]) -> str:
    base = (name or "").split("/")[0]  # faq/grace_period -> faq
    return INTENTS.get(base, OTHER) if base else "—"


def form_label(name: str) -> str:
    return FORMS.get(name, OTHER)


def slot_label(name: str) -> str:
    return SLOTS.get(name, OTHER)


def language_label(code: Optional[str]) -> str:
    return LANGUAGES.get(code or "", code or "")


def channel_label(name: Optional[str]) -> str:
    return CHANNELS.get(name or "", name or "—")


def pressed(text: str, buttons: Iterable[Dict[str, Any]]) -> Optional[str]:
    """A customer's button press (/inform{"payment_method":"wechat_pay"}) as what the button said;
    a payload typed or from another screen as its meaning; None for words the customer wrote."""
    match = _PAYLOAD.match((text or "").strip())
    if not match:
        return None
    for button in buttons or []:
        if _same_payload(button.get("payload") or "", text):
            return f"［按了 Pressed］{button.get('title') or ''}"
    return f"［按了 Pressed］{intent_label(match.group('intent'))}"


def _same_payload(a: str, b: str) -> bool:
    if a.strip() == b.strip():
        return True
    first, second = _PAYLOAD.match(a.strip()), _PAYLOAD.match(b.strip())
    if not (first and second) or first.group("intent") != second.group("intent"):
        return False
    try:
        return json.loads(first.group("entities") or "{}") == json.loads(second.group("entities") or "{}")
    except ValueError:
        return False


def labels_for(names: Iterable[str]) -> Dict[str, str]:
    """Human labels of the forms and slots named (the console shows these, never the names)."""
    return {name: FORMS.get(name) or SLOTS.get(name) or OTHER for name in names}


def path_of_intents(intents: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{**intent, "label": intent_label(intent.get("name"))} for intent in intents]


def identity_check_label(outcome: str, attempts_left: int = 0) -> str:
    """What the console says after an identity check (never the answers)."""
    return IDENTITY_CHECK.get(outcome, OTHER).format(left=attempts_left)


def verified_by_label(agent_name: str) -> str:
    """"verified by agent 王芳": the ticket view says who vouched for the customer."""
    return VERIFIED_BY.format(agent=agent_name) if agent_name else ""
