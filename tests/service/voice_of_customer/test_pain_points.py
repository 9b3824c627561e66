"""Track and verify: a pain point's life cycle, one survey per eligible customer (never to opted-out ones, never in
quiet hours) through the reminder outbox, and a verdict that follows the answers."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from actions.service.core.db import session_scope
from actions.service.core.interactions import RATING, Interaction, record_service_event
from actions.service.core.models import Customer, CustomerNotice, ServiceEvent
from actions.service.reminders.preferences import update_preferences
from actions.service.voice_of_customer import pain_points, surveys
from actions.service.voice_of_customer.tables import Contact, Survey, voc_session

INTENT = "claim_status"
# 2026-11-20 14:00 UTC is 22:00 in Shanghai (quiet); 02:00 UTC is 10:00 there.
FIXED_AT = datetime(2026, 11, 1, 2, 0)
QUIET = datetime(2026, 11, 20, 14, 0)
MORNING = datetime(2026, 11, 21, 2, 0)


def _customers(count: int) -> list:
    with session_scope() as session:
        rows = [Customer(name=f"客户{i}", name_en=f"Customer {i}", phone=f"1360000{i:04d}", language="zh-Hans",
                         birth_date=date(1980, 1, 1)) for i in range(count)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def _baseline(satisfied: int, unsatisfied: int) -> None:
    """Rated contacts of the service in the weeks before the fix."""
    with voc_session() as session:
        for i in range(satisfied + unsatisfied):
            at = FIXED_AT - timedelta(days=1 + i % 60)
            session.add(Contact(contact_key=f"before-{i}", sender_id=f"before-{i}", started_at=at, ended_at=at,
                                intent=INTENT, rating=5 if i < satisfied else 2))


def _used_service(customer_ids, at: datetime) -> None:
    for customer_id in customer_ids:
        record_service_event(Interaction(f"web-{customer_id}", customer_id, "socketio", "zh-Hans", INTENT),
                             "fallback", "理赔进度")
    with session_scope() as session:  # the events happened after the fix
        session.query(ServiceEvent).filter(ServiceEvent.intent == INTENT).update({"created_at": at})


def _fixed_pain_point() -> int:
    view = pain_points.create_pain_point("理赔进度不透明 Claim progress unclear", "理赔部", theme="理赔 claim · 进度 progress",
                                         intent=INTENT, due_date=date(2026, 12, 31), tasks=["进度短信"])
    pain_points.move(view.id, pain_points.IN_PROGRESS)
    surveys.mark_fixed(view.id, now=FIXED_AT)
    return view.id


def _answer(customer_ids, ratings, at: datetime) -> None:
    for customer_id, rating in zip(customer_ids, ratings):
        record_service_event(Interaction(f"web-{customer_id}", customer_id, "socketio", "zh-Hans", "give_feedback"),
                             RATING, str(rating))
    with session_scope() as session:
        session.query(ServiceEvent).filter(ServiceEvent.kind == RATING).update({"created_at": at})


def test_life_cycle_refuses_skipped_steps(demo_db, customers):
    view = pain_points.create_pain_point("提醒太少", "客户服务部")
    assert view.status == pain_points.OPEN
    with pytest.raises(pain_points.PainPointError):
        pain_points.move(view.id, pain_points.VERIFIED)  # only a survey's verdict verifies
    with pytest.raises(pain_points.PainPointError):
        pain_points.link_reference(view.id, "TS-0000000")  # no such complaint
    with pytest.raises(pain_points.PainPointError):
        surveys.verify(view.id)


def test_one_survey_per_eligible_customer_not_opted_out_not_in_quiet_hours_and_a_verdict(demo_db, customers):
    _baseline(satisfied=10, unsatisfied=10)  # 50% before
    pain_point = _fixed_pain_point()
    users = _customers(14)
    opted_out = users[-1]
    update_preferences(opted_out, opted_out=True)
    _used_service(users, FIXED_AT + timedelta(days=5))

    # Eligible: the 13 who used the service and did not opt out, and 王建国, whose claim moved since the fix.
    held = surveys.run_survey_round(now=QUIET)
    assert (held.sent, held.held) == (0, 14) and held.opted_out == 1
    sent = surveys.run_survey_round(now=MORNING)
    assert sent.sent == 14
    again = surveys.run_survey_round(now=MORNING + timedelta(hours=1))
    assert again.sent == 0  # once only
    with session_scope() as session:
        notices = dict(session.query(CustomerNotice.customer_id, CustomerNotice.id).filter(
            CustomerNotice.customer_id.in_(users)).all())
        texts = [t for (t,) in session.query(CustomerNotice.text).filter(CustomerNotice.customer_id.in_(users))]
    assert set(notices) == set(users) - {opted_out}
    assert len(texts) == 13 and all("1 到 5" in text for text in texts)

    answering = users[:12]
    _answer(answering, [5] * 11 + [2], MORNING + timedelta(hours=3))
    verdict = surveys.verify(pain_point, now=MORNING + timedelta(days=2))
    assert verdict.verified and verdict.after_rated == 12 and verdict.p_value < 0.05
    view = pain_points.get_pain_point(pain_point)
    assert view.status == pain_points.VERIFIED and "Fisher" in view.verdict
    assert surveys.before_after(pain_point)["before"] == pytest.approx(0.5)


def test_no_significant_improvement_goes_back_to_in_progress(demo_db, customers):
    _baseline(satisfied=16, unsatisfied=4)  # 80% before
    pain_point = _fixed_pain_point()
    users = _customers(12)
    _used_service(users, FIXED_AT + timedelta(days=5))
    surveys.run_survey_round(now=MORNING)
    _answer(users, [5] * 9 + [2] * 3, MORNING + timedelta(hours=3))  # 75% after
    verdict = surveys.verify(pain_point, now=MORNING + timedelta(days=2))
    assert not verdict.verified
    assert pain_points.get_pain_point(pain_point).status == pain_points.IN_PROGRESS
    with voc_session() as session:
        assert session.query(Survey).filter_by(status="answered").count() == 12


def test_too_few_answers_give_no_verdict(demo_db, customers):
    _baseline(satisfied=5, unsatisfied=5)
    pain_point = _fixed_pain_point()
    with pytest.raises(pain_points.PainPointError, match="survey answers"):
        surveys.verify(pain_point)
    assert pain_points.get_pain_point(pain_point).status == pain_points.FIXED
