"""Verify: after a fix, ask the customers who used that service since, and let their answers decide.

When a pain point is marked fixed, the 好评度 of its service over the 90 days before is frozen as the
baseline. Each survey round finds customers who used the service since the fix (a service event with the
pain point's intent, or a claim that moved, for claim pain points) and sends each of them one short
question through the reminder system (`reminders.delivery.send_one_off`: opted-out customers get nothing,
quiet hours hold it until the morning, the outbox sends it once). Their next 1-5 rating is the answer.

The verdict is Fisher's exact test, one-sided (satisfied share after > before) at 5%: exact for the
small samples a survey gives, where the normal approximation of a two-proportion z-test is poor.
Significant: verified. Otherwise the pain point goes back to in progress.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Set

from scipy.stats import fisher_exact

from actions.service.core.interactions import CLAIM_REPORT, RATING
from actions.service.core.models import Claim, ClaimStatusChange, Customer, Policy, ServiceEvent
from actions.service.customers.channel_links import linked_addresses
from actions.service.language import to_traditional
from actions.service.reminders.delivery import HELD, OPTED_OUT, SENT, send_one_off
from actions.service.reminders.preferences import TELEGRAM
from actions.service.language import customer_language
from actions.service.voice_of_customer.pain_points import FIXED, IN_PROGRESS, VERIFIED, PainPointError, get_pain_point, move
from actions.service.voice_of_customer.tables import Contact, PainPoint, SatisfactionBaseline, Survey, voc_session

BASELINE_DAYS = 90
ANSWER_DAYS = 14  # a rating this long after the survey is no longer its answer
SATISFIED_FROM = 4
ALPHA = 0.05
MIN_ANSWERS = 10  # fewer answers than this: too early for a verdict
CLAIM_INTENTS = {"report_claim", "claim_status"}
TEST_NAME = "Fisher's exact test, one-sided"

# Survey statuses.
WAITING, SURVEY_HELD, SURVEY_SENT, ANSWERED, SKIPPED = "waiting", "held", "sent", "answered", "skipped"

_TEXTS = {
    "zh-Hans": ("您好！大家反映过的「{topic}」，我们已经改进了。\n现在您满意吗？请回复 1 到 5 分，5 分最满意。",
                "您好，这里是安心保险。大家反映过的{topic}，我们已经改进了。现在您满意吗？请按 1 到 5 打分，5 分最满意。"),
    "yue": ("你好！大家反映過嘅「{topic}」，我哋已經改善咗。\n而家您滿唔滿意？請回覆 1 到 5 分，5 分最滿意。",
            "你好，呢度係安心保險。大家反映過嘅{topic}，我哋已經改善咗。而家您滿唔滿意？請按 1 到 5 評分，5 分最滿意。"),
    "en": ("Hello! Customers told us about \"{topic}\", and we have improved it.\nAre you happy with it now? "
           "Please reply with a score from 1 to 5. 5 is best.",
           "Hello, this is Anxin Insurance. Customers told us about {topic}, and we have improved it. "
           "Are you happy with it now? Please press 1 to 5. 5 is best."),
}


def survey_text(language: str, topic: str) -> tuple:
    """(chat message, call script) in the customer's language; Traditional from the Simplified text."""
    body, script = _TEXTS.get("zh-Hans" if language == "zh-Hant" else language, _TEXTS["zh-Hans"])
    body, script = body.format(topic=topic), script.format(topic=topic)
    if language == "zh-Hant":
        return to_traditional(body), to_traditional(script)
    return body, script


# --- before ------------------------------------------------------------------------------------------


def _contact_ratings(session, intent: str, start: datetime, end: datetime) -> List[int]:
    query = session.query(Contact.rating).filter(Contact.rating.isnot(None), Contact.started_at >= start,
                                                 Contact.started_at < end)
    if intent:
        query = query.filter(Contact.intent == intent)
    return [r for (r,) in query]


def freeze_baseline(pain_point_id: int) -> SatisfactionBaseline:
    """The service's ratings in the 90 days before the fix (called when the pain point is marked fixed)."""
    with voc_session() as session:
        row = session.get(PainPoint, pain_point_id)
        ratings = _contact_ratings(session, row.intent or "", row.fixed_at - timedelta(days=BASELINE_DAYS), row.fixed_at)
        satisfied = sum(r >= SATISFIED_FROM for r in ratings)
        baseline = session.get(SatisfactionBaseline, pain_point_id) or SatisfactionBaseline(pain_point_id=pain_point_id)
        baseline.satisfied, baseline.rated = satisfied, len(ratings)
        baseline.share = satisfied / len(ratings) if ratings else None
        session.merge(baseline)
        return baseline


def mark_fixed(pain_point_id: int, now: Optional[datetime] = None) -> None:
    """Fixed: freeze the 'before', then surveys go out in the following rounds."""
    move(pain_point_id, FIXED, now=now)
    freeze_baseline(pain_point_id)


# --- who is asked ------------------------------------------------------------------------------------


def eligible_customers(session, row: PainPoint, now: datetime) -> Set[int]:
    """Customers who used the pain point's service since the fix."""
    query = session.query(ServiceEvent.customer_id).filter(
        ServiceEvent.customer_id.isnot(None), ServiceEvent.created_at >= row.fixed_at, ServiceEvent.created_at <= now)
    if row.intent:
        query = query.filter(ServiceEvent.intent == row.intent)
    customers = {c for (c,) in query.distinct()}
    if row.intent in CLAIM_INTENTS:
        customers |= {c for (c,) in session.query(Policy.customer_id)
                      .join(Claim, Claim.policy_id == Policy.id)
                      .join(ClaimStatusChange, ClaimStatusChange.claim_id == Claim.id)
                      .filter(ClaimStatusChange.changed_at >= row.fixed_at).distinct()}
        customers |= {c for (c,) in session.query(ServiceEvent.customer_id).filter(
            ServiceEvent.kind == CLAIM_REPORT, ServiceEvent.customer_id.isnot(None),
            ServiceEvent.created_at >= row.fixed_at).distinct()}
    return customers


@dataclass
class SurveyRound:
    sent: int = 0
    held: int = 0
    opted_out: int = 0
    answered: int = 0


def run_survey_round(now: Optional[datetime] = None) -> SurveyRound:
    """Send what is due for every fixed pain point, then read new answers (the scheduler calls this)."""
    now = now or datetime.utcnow()
    result = SurveyRound()
    with voc_session() as session:
        fixed = session.query(PainPoint).filter(PainPoint.status == FIXED).all()
        for row in fixed:
            asked = {c for (c,) in session.query(Survey.customer_id).filter_by(pain_point_id=row.id)}
            for customer_id in sorted(eligible_customers(session, row, now) - asked):
                session.add(Survey(pain_point_id=row.id, customer_id=customer_id, status=WAITING, send_after=now))
        session.flush()
        due = [(s.id, s.pain_point_id, s.customer_id) for s in session.query(Survey).filter(
            Survey.status.in_((WAITING, SURVEY_HELD)), Survey.send_after <= now)]
        titles = {row.id: row.title for row in fixed}
        languages = {c.id: customer_language(c.language, c.dialect) for c in session.query(Customer).filter(
            Customer.id.in_([d[2] for d in due]))} if due else {}
    for survey_id, pain_point_id, customer_id in due:
        if pain_point_id not in titles:
            continue
        body, script = survey_text(languages.get(customer_id, "zh-Hans"), titles[pain_point_id])
        outcome = send_one_off(customer_id, f"survey:{pain_point_id}:{customer_id}", body, script, now=now)
        with voc_session() as session:
            survey = session.get(Survey, survey_id)
            if outcome.status == SENT:
                survey.status, survey.sent_at = SURVEY_SENT, now
                result.sent += 1
            elif outcome.status == HELD:
                survey.status, survey.send_after = SURVEY_HELD, outcome.retry_at
                result.held += 1
            elif outcome.status == OPTED_OUT:
                survey.status = SKIPPED
                result.opted_out += 1
    result.answered = collect_answers(now)
    return result


# --- answers and the verdict ------------------------------------------------------------------------


def record_answer(pain_point_id: int, customer_id: int, rating: int, now: Optional[datetime] = None) -> None:
    """An answer taken another way (a call, the keypad): 1-5."""
    if not 1 <= int(rating) <= 5:
        raise PainPointError("a survey answer is 1 to 5")
    with voc_session() as session:
        survey = session.query(Survey).filter_by(pain_point_id=pain_point_id, customer_id=customer_id).first()
        if survey is None or survey.status not in (SURVEY_SENT, ANSWERED):
            raise PainPointError(f"customer {customer_id} was not surveyed for pain point {pain_point_id}")
        survey.status, survey.rating, survey.answered_at = ANSWERED, int(rating), now or datetime.utcnow()


def collect_answers(now: Optional[datetime] = None) -> int:
    """The first rating each surveyed customer gave after the survey (any channel), within ANSWER_DAYS."""
    now = now or datetime.utcnow()
    answered = 0
    with voc_session() as session:
        waiting = session.query(Survey).filter(Survey.status == SURVEY_SENT).all()
        for survey in waiting:
            senders = linked_addresses(survey.customer_id, TELEGRAM)
            query = session.query(ServiceEvent).filter(
                ServiceEvent.kind == RATING, ServiceEvent.created_at >= survey.sent_at,
                ServiceEvent.created_at <= min(now, survey.sent_at + timedelta(days=ANSWER_DAYS)))
            query = query.filter((ServiceEvent.customer_id == survey.customer_id) | ServiceEvent.sender_id.in_(senders))
            event = query.order_by(ServiceEvent.created_at).first()
            if event is not None and (event.detail or "").strip().isdigit():
                survey.status, survey.rating, survey.answered_at = ANSWERED, int(event.detail), event.created_at
                answered += 1
    return answered


@dataclass(frozen=True)
class Verdict:
    verified: bool
    before_satisfied: int
    before_rated: int
    after_satisfied: int
    after_rated: int
    p_value: float

    def text(self) -> str:
        def share(s: int, n: int) -> str:
            return f"{s / n:.1%}" if n else "n/a"
        return (f"好评度 {share(self.before_satisfied, self.before_rated)} (n={self.before_rated}) -> "
                f"{share(self.after_satisfied, self.after_rated)} (n={self.after_rated}); "
                f"{TEST_NAME} p={self.p_value:.3g}; {'verified' if self.verified else 'not significant'}")


def judge(before_satisfied: int, before_rated: int, after_satisfied: int, after_rated: int,
          alpha: float = ALPHA) -> Verdict:
    """Is the satisfied share after the fix significantly above before? Fisher's exact test, one-sided."""
    table = [[after_satisfied, after_rated - after_satisfied], [before_satisfied, before_rated - before_satisfied]]
    p_value = float(fisher_exact(table, alternative="greater")[1]) if before_rated and after_rated else 1.0
    return Verdict(p_value < alpha, before_satisfied, before_rated, after_satisfied, after_rated, p_value)


def survey_answers(pain_point_id: int) -> List[int]:
    with voc_session() as session:
        return [r for (r,) in session.query(Survey.rating).filter(
            Survey.pain_point_id == pain_point_id, Survey.status == ANSWERED)]


def verify(pain_point_id: int, now: Optional[datetime] = None, min_answers: int = MIN_ANSWERS) -> Verdict:
    """Decide a fixed pain point: verified if customers are significantly happier, else back to in progress."""
    view = get_pain_point(pain_point_id)
    if view.status != FIXED:
        raise PainPointError(f"pain point {pain_point_id} is {view.status}; only a fixed one can be verified")
    collect_answers(now)
    answers = survey_answers(pain_point_id)
    if len(answers) < min_answers:
        raise PainPointError(f"only {len(answers)} survey answers so far; a verdict needs {min_answers}")
    with voc_session() as session:
        baseline = session.get(SatisfactionBaseline, pain_point_id)
        before = (baseline.satisfied, baseline.rated) if baseline else (0, 0)
    verdict = judge(before[0], before[1], sum(a >= SATISFIED_FROM for a in answers), len(answers))
    move(pain_point_id, VERIFIED if verdict.verified else IN_PROGRESS, now=now, verdict=verdict.text())
    return verdict


def before_after(pain_point_id: int) -> Dict[str, Optional[float]]:
    """The satisfied share before the fix and among survey answers, for the pages."""
    answers = survey_answers(pain_point_id)
    with voc_session() as session:
        baseline = session.get(SatisfactionBaseline, pain_point_id)
    return {"before": baseline.share if baseline else None, "before_n": baseline.rated if baseline else 0,
            "after": (sum(a >= SATISFIED_FROM for a in answers) / len(answers)) if answers else None,
            "after_n": len(answers)}
