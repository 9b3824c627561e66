"""Complaints and their work orders (会办单): routed to the department that owns them, with an SLA."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from actions.service.core.db import session_scope
from actions.service.formatting import mask_digits_in_text
from actions.service.core.interactions import COMPLAINT, Interaction, record_service_event
from actions.service.language import to_simplified
from actions.service.core.models import Complaint, WorkOrder
from actions.service.core.references import new_reference

FIRST_RESPONSE_WITHIN = timedelta(hours=24)


@dataclass(frozen=True)
class Category:
    department: str
    resolve_within: timedelta


# Who owns a complaint, and how long they have to resolve it (regulators allow at most 15 days).
CATEGORIES = {
    "claims": Category("claims", timedelta(days=5)),
    "renewal_payment": Category("policy_services", timedelta(days=5)),
    "sales_conduct": Category("sales_compliance", timedelta(days=15)),
    "service_attitude": Category("service_quality", timedelta(days=3)),
    "other": Category("customer_service", timedelta(days=10)),
}
OPEN, RESPONDED, RESOLVED = "open", "responded", "resolved"

# Words of an angry customer: they are offered a person at once, before any question.
_ANGRY = re.compile(
    r"气死|氣死|太差|垃圾|骗子|騙子|骗人|騙人|欺骗|欺騙|忍无可忍|忍無可忍|岂有此理|豈有此理|搞什么|搞什麼|"
    r"什么破|什麼破|投诉你们|投訴你哋|激死|好嬲|嬲|混蛋|滚|滾|"
    r"\bangry\b|\bfurious\b|\bridiculous\b|\bdisgusting\b|\bscam\b|\bunacceptable\b|\bterrible\b|!!|！！"
)


def sounds_angry(text: str) -> bool:
    return bool(text) and _ANGRY.search(text.lower()) is not None


@dataclass(frozen=True)
class ComplaintStatus:
    reference: str
    category: str
    department: str
    status: str
    created_at: datetime
    first_response_due: datetime
    resolution_due: datetime
    resolution: str

    def overdue(self, now: datetime) -> bool:
        """Past its due time: first response while open, resolution until resolved."""
        if self.status == OPEN:
            return now > self.first_response_due
        return self.status != RESOLVED and now > self.resolution_due


def file_complaint(interaction: Interaction, category: str, description: str, desired_outcome: str,
                   now: Optional[datetime] = None) -> ComplaintStatus:
    """Store the complaint and dispatch its work order; the same complaint sent twice is stored once."""
    now = now or datetime.utcnow()
    category = category if category in CATEGORIES else "other"
    description, desired_outcome = mask_digits_in_text(description.strip()), mask_digits_in_text(desired_outcome.strip())
    with session_scope() as session:
        same = (session.query(Complaint).join(WorkOrder)
                .filter(Complaint.sender_id == interaction.sender_id, Complaint.category == category,
                        Complaint.description == description, WorkOrder.status != RESOLVED).first())
        if same is not None:
            return _status(same)
        owner = CATEGORIES[category]
        complaint = Complaint(reference=new_reference(session, Complaint, "TS", now), category=category,
                              description=description,
                              desired_outcome=desired_outcome, **{**interaction.columns(), "created_at": now})
        complaint.work_order = WorkOrder(department=owner.department, first_response_due=now + FIRST_RESPONSE_WITHIN,
                                         resolution_due=now + owner.resolve_within)
        session.add(complaint)
        session.flush()
        status = _status(complaint)
    record_service_event(interaction, COMPLAINT, f"{status.reference} {category}")
    return status


def complaints_of(sender_id: str, customer_id: Optional[int]) -> List[ComplaintStatus]:
    """The complaints this chat sent, or the verified customer sent from anywhere; newest first."""
    with session_scope() as session:
        query = session.query(Complaint)
        if customer_id is not None:
            query = query.filter((Complaint.customer_id == customer_id) | (Complaint.sender_id == sender_id))
        else:
            query = query.filter(Complaint.sender_id == sender_id)
        return [_status(c) for c in query.order_by(Complaint.id.desc()).all()]


def work_orders(include_resolved: bool = True) -> List[ComplaintStatus]:
    """Every work order, oldest first."""
    with session_scope() as session:
        query = session.query(Complaint).join(WorkOrder)
        if not include_resolved:
            query = query.filter(WorkOrder.status != RESOLVED)
        return [_status(c) for c in query.order_by(Complaint.id).all()]


def overdue_work_orders(now: Optional[datetime] = None) -> List[ComplaintStatus]:
    """For supervisors: every work order past its first-response or resolution time, oldest first."""
    now = now or datetime.utcnow()
    return [status for status in work_orders(include_resolved=False) if status.overdue(now)]


def update_work_order(reference: str, status: str, resolution: str = "",
                      now: Optional[datetime] = None) -> ComplaintStatus:
    """Staff record the first response (responded) or the outcome (resolved)."""
    now = now or datetime.utcnow()
    if status not in (RESPONDED, RESOLVED):
        raise ValueError(f"status must be {RESPONDED} or {RESOLVED}")
    with session_scope() as session:
        complaint = session.query(Complaint).filter_by(reference=reference).first()
        if complaint is None:
            raise ValueError(f"no complaint {reference}")
        order = complaint.work_order
        order.status = status
        order.responded_at = order.responded_at or now
        if status == RESOLVED:
            order.resolved_at, order.resolution = now, resolution
        session.flush()
        return _status(complaint)


def _status(complaint: Complaint) -> ComplaintStatus:
    order = complaint.work_order
    return ComplaintStatus(complaint.reference, complaint.category, order.department, order.status,
                           complaint.created_at, order.first_response_due, order.resolution_due,
                           order.resolution or "")


_CATEGORY_WORDS = (
    ("claims", r"理赔|赔付|赔款|报案|claim|payout"),
    ("renewal_payment", r"续期|续保|交费|缴费|扣款|扣钱|保费|renew|premium|payment|charged|debit"),
    ("sales_conduct", r"销售|业务员|代理人|经纪|误导|推销|骗我买|sales|agent|mis-?sold|misled"),
    ("service_attitude", r"态度|客服|服务差|不理|挂电话|rude|attitude|staff|service"),
    ("other", r"其他|其它|other"),
)
_STATUS_WORDS = r"进度|状态|怎么样了|处理得|处理到|结果|回复了没|有没有回复|status|progress|update on|any news"
_BARE_COMPLAINT = r"我要|我想|投诉|投訴|要|想|一下|你们|complaint|complain|make|i want to|i'd like to|a |an |to "


def read_category(text: str) -> Optional[str]:
    """The complaint category a button or the customer's own words name, if any."""
    pressed = re.search(r'"complaint_category"\s*:\s*"([a-z_]+)"', text or "")
    if pressed and pressed.group(1) in CATEGORIES:
        return pressed.group(1)
    said = to_simplified(text or "").lower()
    return next((category for category, words in _CATEGORY_WORDS if re.search(words, said)), None)


def asks_for_status(text: str) -> bool:
    return re.search(_STATUS_WORDS, to_simplified(text or "").lower()) is not None


def says_what_happened(text: str) -> bool:
    """More than "I want to complain": worth keeping as the description, so it is not asked again."""
    rest = re.sub(_BARE_COMPLAINT, "", to_simplified(text or "").lower())
    return len(re.sub(r"[\s\W_]", "", rest)) >= 6
