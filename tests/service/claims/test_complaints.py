from datetime import datetime, timedelta

import pytest

from actions.service.claims.complaints import (
    complaints_of, file_complaint, overdue_work_orders, sounds_angry, update_work_order,
)
from actions.service.core.db import session_scope
from actions.service.core.interactions import Interaction
from actions.service.core.models import ServiceEvent, WorkOrder

NOW = datetime(2026, 11, 23, 9, 0)


def test_a_complaint_gets_a_work_order_for_its_department_with_an_sla(customers):
    me = Interaction("web-1", customers.wang, "socketio", "zh-Hans", "complaint")
    status = file_complaint(me, "claims", "理赔拖了一个月，电话13800000001", "尽快赔付", now=NOW)
    assert status.reference.startswith("TS-2026") and status.department == "claims"
    assert status.first_response_due == NOW + timedelta(hours=24)
    assert status.resolution_due == NOW + timedelta(days=5)
    assert [c.reference for c in complaints_of("web-1", None)] == [status.reference]
    assert [c.reference for c in complaints_of("another-chat", customers.wang)] == [status.reference]
    assert complaints_of("another-chat", None) == []
    with session_scope() as session:
        event = session.query(ServiceEvent).filter_by(kind="complaint").one()
        assert (event.channel, event.language, event.intent) == ("socketio", "zh-Hans", "complaint")


def test_the_same_complaint_sent_twice_is_stored_once(demo_db):
    me = Interaction("tg-1")
    first = file_complaint(me, "service_attitude", "态度不好", "道歉", now=NOW)
    assert file_complaint(me, "service_attitude", "态度不好", "道歉", now=NOW).reference == first.reference
    assert file_complaint(me, "nonsense", "别的事", "", now=NOW).category == "other"


def test_supervisors_see_overdue_work_orders(demo_db):
    me = Interaction("c")
    late = file_complaint(me, "service_attitude", "客服挂我电话", "道歉", now=NOW)
    answered = file_complaint(me, "renewal_payment", "扣了两次款", "退款", now=NOW)
    update_work_order(answered.reference, "responded", now=NOW + timedelta(hours=2))
    assert overdue_work_orders(NOW + timedelta(hours=23)) == []
    assert [s.reference for s in overdue_work_orders(NOW + timedelta(hours=25))] == [late.reference]
    # Responded in time, but not resolved within 5 days.
    assert {s.reference for s in overdue_work_orders(NOW + timedelta(days=6))} == {late.reference, answered.reference}
    resolved = update_work_order(answered.reference, "resolved", "已退款", now=NOW + timedelta(days=1))
    assert (resolved.status, resolved.resolution) == ("resolved", "已退款")
    assert [s.reference for s in overdue_work_orders(NOW + timedelta(days=6))] == [late.reference]
    with session_scope() as session:
        assert session.query(WorkOrder).count() == 2
    with pytest.raises(ValueError):
        update_work_order(late.reference, "closed")


@pytest.mark.parametrize("text, angry", [
    ("气死我了，你们理赔太慢", True), ("你們係騙子", True), ("This is ridiculous!", True), ("好嬲呀", True),
    ("我想投诉理赔太慢", False), ("I want to make a complaint", False), ("", False),
])
def test_angry_words_are_recognised(text, angry):
    assert sounds_angry(text) is angry


def test_staff_commands_update_what_the_customer_sees(customers, capsys):
    from actions.service.claims.reports import list_claims
    from actions.service.staff_cli import main

    assert main(["claim-status", "CL-2026000101", "approved", "--amount", "12600"]) == 0
    assert list_claims(customers.wang)[0].status == "approved"
    assert main(["claim-status", "CL-2026000101", "received"]) == 1  # never backwards
    assert "status_goes_backwards" in capsys.readouterr().err
    complaint = file_complaint(Interaction("c"), "other", "别的事", "", now=datetime.utcnow() - timedelta(days=30))
    assert main(["work-orders", "--overdue"]) == 0
    assert complaint.reference in capsys.readouterr().out
    assert main(["work-order", complaint.reference, "resolved", "--resolution", "已处理"]) == 0
    assert "resolved" in capsys.readouterr().out
    assert main(["work-orders", "--overdue"]) == 0
    assert complaint.reference not in capsys.readouterr().out
    assert main(["claims", "13800000001"]) == 0
    assert "CL-2026000101" in capsys.readouterr().out
