from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from actions.service.claims.reports import (
    ClaimDetails, ClaimError, insured_people, list_claims, open_callbacks, report_claim, set_claim_status,
)
from actions.service.core.db import session_scope
from actions.service.core.interactions import Interaction
from actions.service.core.models import Claim, ClaimReport, ServiceEvent

NOW = datetime(2026, 11, 23, 9, 30)
STAY = date(2026, 11, 20)


def _hospital(insured: int, when: date = STAY, amount=None) -> ClaimDetails:
    return ClaimDetails(insured, "hospital", when, "郑州人民医院", "肺炎住院", "13900000002", amount)


def test_family_registered_on_the_policies_can_be_reported_for(customers):
    emily = insured_people(customers.emily)
    assert [(p.customer_id, p.relation) for p in emily] == [(customers.emily, "self"), (customers.zhang, "mother")]
    assert [p.relation for p in insured_people(customers.zhang)] == ["self", "daughter"]
    assert [p.relation for p in insured_people(customers.wang)] == ["self"]


def test_the_same_event_reported_by_mother_and_daughter_is_one_claim(customers):
    mother = report_claim(Interaction("web-1", customers.zhang, "socketio", "zh-Hans", "report_claim"),
                          _hospital(customers.zhang), now=NOW)
    assert mother.reference.startswith("CL-2026") and len(mother.reference) == 13
    assert not mother.duplicate and mother.callback_due == NOW + timedelta(minutes=10)
    daughter = report_claim(Interaction("tg-9", customers.emily, "telegram", "en", "report_claim"),
                            ClaimDetails(customers.zhang, "hospital", STAY, "Zhengzhou", "pneumonia", "13700000003"),
                            now=NOW)
    assert (daughter.reference, daughter.duplicate, daughter.status) == (mother.reference, True, "received")
    with session_scope() as session:
        assert session.query(Claim).filter_by(insured_customer_id=customers.zhang).count() == 1
        assert [r.duplicate for r in session.query(ClaimReport).order_by(ClaimReport.id)] == [False, True]
        assert session.query(ServiceEvent).filter_by(kind="claim_report").count() == 2
    assert [c.subject for c in open_callbacks()] == [mother.reference]  # one call back, not two
    # Both see the same claim and its progress.
    assert [c.reference for c in list_claims(customers.zhang)] == [mother.reference]
    assert [c.reference for c in list_claims(customers.emily)] == [mother.reference]


def test_another_day_or_kind_of_event_is_a_new_claim(customers):
    me = Interaction("c", customers.zhang)
    first = report_claim(me, _hospital(customers.zhang), now=NOW)
    other_day = report_claim(me, _hospital(customers.zhang, STAY - timedelta(days=1)), now=NOW)
    accident = report_claim(me, ClaimDetails(customers.zhang, "accident", STAY, "家里", "摔倒", "1"), now=NOW)
    assert len({first.reference, other_day.reference, accident.reference}) == 3


def test_the_seeded_claim_is_found_again_when_reported_again(customers):
    (seeded,) = list_claims(customers.wang)
    again = report_claim(Interaction("x", customers.wang),
                         ClaimDetails(customers.wang, "hospital", seeded.event_date, "", "", "13800000001"))
    assert (again.reference, again.duplicate, again.status) == ("CL-2026000101", True, "under_review")


@pytest.mark.parametrize("interaction, details, reason", [
    (Interaction("x"), None, "not_verified"),
    (Interaction("x", "wang"), "zhang", "not_your_family"),
    (Interaction("x", "zhang"), "future", "future_date"),
])
def test_reports_that_cannot_be_taken(customers, interaction, details, reason):
    ids = vars(customers)
    if interaction.customer_id is not None:
        interaction = Interaction("x", ids[interaction.customer_id])
    when = date(2026, 12, 1) if details == "future" else STAY
    insured = ids.get(details, customers.zhang)
    with pytest.raises(ClaimError, match=reason):
        report_claim(interaction, _hospital(insured, when), now=NOW)


def test_small_medical_claims_take_the_fast_lane(customers):
    me = Interaction("c", customers.zhang)
    assert report_claim(me, _hospital(customers.zhang, amount=Decimal(4800)), now=NOW).fast_lane
    assert not report_claim(me, _hospital(customers.zhang, STAY - timedelta(days=3), Decimal(5200)), now=NOW).fast_lane
    assert not report_claim(me, _hospital(customers.zhang, STAY - timedelta(days=4)), now=NOW).fast_lane


def test_staff_updates_show_in_the_timeline(customers):
    receipt = report_claim(Interaction("c", customers.zhang), _hospital(customers.zhang), now=NOW)
    set_claim_status(receipt.reference, "documents_checked", now=NOW + timedelta(days=1))
    view = set_claim_status(receipt.reference, "approved", Decimal("3200.50"), now=NOW + timedelta(days=3))
    assert (view.status, view.amount, view.next_step) == ("approved", Decimal("3200.50"), "paid")
    assert [(s.status, s.on) for s in view.timeline] == [
        ("received", NOW.date()), ("documents_checked", date(2026, 11, 24)), ("under_review", None),
        ("approved", date(2026, 11, 26)), ("paid", None)]
    assert list_claims(customers.emily)[0].status == "approved"
    with pytest.raises(ClaimError, match="status_goes_backwards"):
        set_claim_status(receipt.reference, "received")
    declined = set_claim_status(
        report_claim(Interaction("c", customers.zhang), _hospital(customers.zhang, STAY - timedelta(days=9)),
                     now=NOW).reference, "declined", now=NOW)
    assert [s.status for s in declined.timeline] == ["received", "declined"] and declined.next_step is None
    with pytest.raises(ClaimError, match="unknown_claim"):
        set_claim_status("CL-2026999999", "paid")
