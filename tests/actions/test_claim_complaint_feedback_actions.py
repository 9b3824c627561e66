"""The claim form, complaints and ratings, run the way the action server runs them (real database)."""
from __future__ import annotations

import asyncio
from datetime import date, timedelta

import yaml
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.claims import (
    ActionAskClaimChangeField, ActionAskClaimConfirmed, ActionAskClaimInsured, ActionSubmitClaim,
    ValidateReportClaimForm,
)
from actions.complaints import ActionFileComplaint, ActionStartComplaint
from actions.feedback import ActionFeedback, ActionOfferRating
from actions.service.core.db import session_scope
from actions.service.core.models import Claim, Complaint, Feedback
from tests.actions.tracker_helpers import make_tracker, run, said, variables, verified
from tests.servers import ROOT

FORM = ValidateReportClaimForm()
# The form's part of the real domain: rasa-sdk validates only the slots the form requires.
DOMAIN = {"forms": yaml.safe_load((ROOT / "bot" / "domain" / "claims.yml").read_text(encoding="utf-8"))["forms"]}
DOMAIN_SLOTS = DOMAIN["forms"]["report_claim_form"]["required_slots"]


def _form_turn(slot: str, text: str, slots: dict, intent: str = "inform"):
    """One answer to the form, with the slot candidate Rasa sends (rasa-sdk validates recently set slots)."""
    tracker = make_tracker({**slots, "requested_slot": slot, slot: text}, intent=intent, text=text,
                           active_loop="report_claim_form",
                           events=[{"event": "user", "text": text}, {"event": "slot", "name": slot, "value": text}])
    events, dispatcher = run(FORM, tracker, DOMAIN)
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, said(dispatcher)


def _validate(slot: str, text: str, slots: dict, intent: str = "inform"):
    """The slot values the answer leads to, and what the bot said (the next question left out)."""
    values, responses = _form_turn(slot, text, slots, intent)
    values.pop("requested_slot", None)
    return values, responses


def _next_slot(slot: str, text: str, slots: dict) -> str:
    return _form_turn(slot, text, slots)[0]["requested_slot"]


def test_the_form_asks_who_only_when_there_is_family(demo_db, customers):
    def required(customer, **slots):
        tracker = make_tracker(verified(customer, **slots))
        return asyncio.run(FORM.required_slots(DOMAIN_SLOTS, CollectingDispatcher(), tracker, DOMAIN))

    assert required(customers.wang) == ["claim_event_type", "claim_event_date", "claim_place",
                                        "claim_description", "claim_confirmed"]
    assert required(customers.emily, claim_event_type="hospital")[:1] == ["claim_insured"]
    assert "claim_amount" in required(customers.emily, claim_event_type="hospital")
    assert "claim_amount" not in required(customers.emily, claim_event_type="death")
    assert required(customers.wang, claim_changing=True)[-2:] == ["claim_change_field", "claim_confirmed"]
    tracker = make_tracker({})  # not verified: nothing is asked, the submit action asks for identity
    assert asyncio.run(FORM.required_slots(DOMAIN_SLOTS, CollectingDispatcher(), tracker, DOMAIN)) == []

    _, dispatcher = run(ActionAskClaimInsured(), make_tracker(verified(customers.emily, language="en")))
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["Myself", "Mother Zhang Xiuying"]
    assert dispatcher.messages[0]["buttons"][1]["payload"] == f'/inform{{"claim_insured":"{customers.zhang}"}}'


def test_answers_are_read_and_bad_ones_asked_again(demo_db, customers):
    emily = verified(customers.emily, language="en")
    assert _validate("claim_insured", "my mother", emily) == ({"claim_insured": str(customers.zhang)}, [])
    assert _validate("claim_insured", "my uncle", emily) == ({"claim_insured": None}, ["utter_claim_choose_button"])
    assert _validate("claim_event_type", '/inform{"claim_event_type":"hospital"}', emily)[0] == {
        "claim_event_type": "hospital"}
    assert _validate("claim_event_type", "she passed away", emily)[0] == {"claim_event_type": "death",
                                                                           "claim_amount": None}
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert _validate("claim_event_date", "yesterday", emily) == ({"claim_event_date": yesterday}, [])
    assert _validate("claim_event_date", "soon", emily) == ({"claim_event_date": None}, ["utter_claim_date_unclear"])
    future = (date.today() + timedelta(days=40)).strftime("%Y-%m-%d")
    assert _validate("claim_event_date", future, emily) == ({"claim_event_date": None}, ["utter_claim_date_future"])
    assert _validate("claim_place", "x", emily) == ({"claim_place": None}, ["utter_claim_too_short"])
    medical = {**emily, "claim_event_type": "hospital"}
    assert _validate("claim_amount", "about 3,500 yuan", medical)[0] == {"claim_amount": "3500.00"}
    assert _validate("claim_amount", "I don't know", medical)[0] == {"claim_amount": "unknown"}
    changing_phone = {**emily, "claim_change_field": "claim_contact_phone"}
    assert _validate("claim_contact_phone", "139 0000 0002", changing_phone)[0] == {
        "claim_contact_phone": "13900000002"}


def test_a_correction_clears_one_answer_and_reads_everything_back_again(demo_db, customers):
    wang = verified(customers.wang, claim_event_type="hospital", claim_event_date="2026-11-20",
                    claim_place="协和医院", claim_description="肺炎住院", claim_amount="unknown")
    values, _ = _validate("claim_confirmed", '/inform{"claim_confirmed":"change"}', wang)
    assert values == {"claim_confirmed": None, "claim_changing": True, "claim_change_field": None}
    assert _next_slot("claim_confirmed", '/inform{"claim_confirmed":"change"}', wang) == "claim_change_field"
    assert _next_slot("claim_change_field", "电话", {**wang, "claim_changing": True}) == "claim_contact_phone"
    _, dispatcher = run(ActionAskClaimChangeField(), make_tracker({**wang, "claim_changing": True}))
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["事情", "日期", "地点", "经过", "医药费", "联系电话"]
    values, _ = _validate("claim_change_field", "日期不对", {**wang, "claim_changing": True})
    assert values == {"claim_change_field": "claim_event_date", "claim_changing": False, "claim_event_date": None}
    assert _validate("claim_confirmed", "确认", wang, intent="affirm")[0] == {"claim_confirmed": "yes"}

    _, dispatcher = run(ActionAskClaimConfirmed(), make_tracker(wang))
    assert dispatcher.messages[0]["response"] == "utter_ask_claim_confirmed_bills"  # the bills were asked
    assert variables(dispatcher.messages[0]) == {
        "insured": "本人", "event": "住院", "event_date": "2026年11月20日", "place": "协和医院",
        "description": "肺炎住院", "amount": "还不清楚，以后补上就行", "phone": "138****0001"}
    _, dispatcher = run(ActionAskClaimConfirmed(), make_tracker({**wang, "claim_amount": "4200.00", "language": "en"}))
    assert variables(dispatcher.messages[0])["amount"] == "¥4,200"
    death = {**wang, "claim_event_type": "death", "claim_amount": None}  # no bills asked: none read back
    _, dispatcher = run(ActionAskClaimConfirmed(), make_tracker(death))
    assert dispatcher.messages[0]["response"] == "utter_ask_claim_confirmed" and "amount" not in variables(
        dispatcher.messages[0])


def test_mother_and_daughter_report_the_same_stay_and_get_one_reference(demo_db, customers):
    stay = (date.today() - timedelta(days=3)).isoformat()
    mother = verified(customers.zhang, claim_event_type="hospital", claim_event_date=stay, claim_place="郑州人民医院",
                      claim_description="肺炎住院", claim_amount="4200", claim_confirmed="yes")
    events, dispatcher = run(ActionSubmitClaim(), make_tracker(mother, intent="affirm"))
    assert said(dispatcher) == ["utter_claim_received", "utter_claim_checklist", "utter_claim_fast_lane"]
    reference = dispatcher.messages[0]["reference"]
    assert dispatcher.messages[0]["phone"] == "139****0002"
    assert SlotSet("service_completed", True) in events and SlotSet("claim_event_type", None) in events

    daughter = verified(customers.emily, language="en", claim_insured=str(customers.zhang),
                        claim_event_type="hospital", claim_event_date=stay, claim_place="Zhengzhou",
                        claim_description="pneumonia", claim_amount="unknown", claim_confirmed="yes")
    _, dispatcher = run(ActionSubmitClaim(), make_tracker(daughter, intent="affirm", sender_id="telegram-77"))
    assert said(dispatcher) == ["utter_claim_duplicate"]
    assert variables(dispatcher.messages[0]) == {"reference": reference, "status": "Received"}
    with session_scope() as session:
        assert session.query(Claim).filter_by(insured_customer_id=customers.zhang).count() == 1


def test_a_cancelled_report_stores_nothing_and_asks_no_rating(demo_db, customers):
    slots = verified(customers.wang, claim_event_type="accident", claim_event_date="2026-11-01",
                     claim_place="家里", claim_description="摔倒", claim_confirmed="no")
    events, dispatcher = run(ActionSubmitClaim(), make_tracker(slots, intent="deny"))
    assert said(dispatcher) == ["utter_claim_cancelled"]
    assert SlotSet("service_completed", True) not in events
    with session_scope() as session:
        assert session.query(Claim).count() == 1  # the seeded one only


def test_an_unverified_submit_asks_for_identity(demo_db):
    events, dispatcher = run(ActionSubmitClaim(), make_tracker({"claim_confirmed": "yes"}))
    assert said(dispatcher) == ["utter_need_verification"]
    assert events == [SlotSet("pending_request", "report_claim"), FollowupAction("verify_identity_form")]


def test_a_complaint_keeps_what_the_first_message_said(demo_db):
    events, dispatcher = run(ActionStartComplaint(), make_tracker(intent="complaint", text="我要投诉理赔拖了一个月"))
    assert said(dispatcher) == []
    assert SlotSet("complaint_category", "claims") in events
    assert SlotSet("complaint_description", "我要投诉理赔拖了一个月") in events
    assert events[-1] == FollowupAction("complaint_form")

    events, dispatcher = run(ActionStartComplaint(), make_tracker(intent="complaint", text="气死我了！！"))
    assert said(dispatcher) == ["utter_complaint_angry"]  # a person offered before any question
    assert events[-1] == FollowupAction("complaint_form")


def test_a_filed_complaint_and_its_status(demo_db, customers):
    slots = {"complaint_category": "renewal_payment", "complaint_description": "扣了我两次保费",
             "complaint_outcome": "退一次的钱", "language": "en"}
    events, dispatcher = run(ActionFileComplaint(), make_tracker(slots, intent="inform", sender_id="web-5"))
    assert said(dispatcher) == ["utter_complaint_filed"]
    message = dispatcher.messages[0]
    assert message["department"] == "policy services" and message["reference"].startswith("TS-")
    assert SlotSet("service_completed", True) in events
    with session_scope() as session:
        row = session.query(Complaint).one()
        assert (row.intent, row.language, row.desired_outcome) == ("complaint", "en", "退一次的钱")

    _, dispatcher = run(ActionStartComplaint(), make_tracker({"language": "en"}, intent="complaint",
                                                            text="any update on my complaint?", sender_id="web-5"))
    assert said(dispatcher) == ["utter_complaint_status"]
    assert dispatcher.messages[0]["status"] == "Received, waiting for a reply"
    _, dispatcher = run(ActionStartComplaint(), make_tracker(intent="complaint", text="我的投诉进度", sender_id="x"))
    assert said(dispatcher) == ["utter_no_complaints"]


def test_one_rating_per_conversation_and_only_after_a_finished_service(demo_db):
    events, dispatcher = run(ActionOfferRating(), make_tracker({"service_completed": True}))
    assert said(dispatcher) == ["utter_ask_rating"]
    assert events == [SlotSet("rating_asked", True), SlotSet("service_completed", False)]
    _, dispatcher = run(ActionOfferRating(), make_tracker({"service_completed": True, "rating_asked": True}))
    assert said(dispatcher) == []
    _, dispatcher = run(ActionOfferRating(), make_tracker({"service_completed": False}))
    assert said(dispatcher) == []


def test_ratings_by_button_or_typed_digit_are_stored(demo_db):
    rating = [{"entity": "rating", "value": "5"}]
    _, dispatcher = run(ActionFeedback(), make_tracker(intent="give_feedback", text='/give_feedback{"rating":"5"}',
                                                       entities=rating))
    assert said(dispatcher) == ["utter_rating_thanks"]
    _, dispatcher = run(ActionFeedback(), make_tracker(intent="inform", text="2分"))
    assert said(dispatcher) == ["utter_rating_low"]
    _, dispatcher = run(ActionFeedback(), make_tracker(intent="give_feedback", text="电话13800000001的客服很好"))
    assert said(dispatcher) == ["utter_feedback_thanks"]
    with session_scope() as session:
        rows = session.query(Feedback.rating, Feedback.text).order_by(Feedback.id).all()
    assert rows == [(5, ""), (2, "2分"), (None, "电话****0001的客服很好")]


def test_a_customer_can_give_up_either_form_in_their_own_words(demo_db, customers):
    from actions.complaints import ValidateComplaintForm

    wang = verified(customers.wang, claim_event_type="hospital")
    assert _next_slot("claim_event_date", "算了，不报了", wang) is None  # the form ends
    complaint = make_tracker(intent="deny", text="cancel", active_loop="complaint_form")
    assert asyncio.run(ValidateComplaintForm().required_slots(["complaint_category"], CollectingDispatcher(),
                                                              complaint, {})) == []
    _, dispatcher = run(ActionFileComplaint(), make_tracker({"complaint_category": "claims"}))
    assert said(dispatcher) == ["utter_complaint_cancelled"]
    with session_scope() as session:
        assert session.query(Complaint).count() == 0


def test_who_what_and_when_in_the_first_message_are_not_asked_again(demo_db, customers):
    first = {"event": "user", "text": "我妈妈前天住院了，我要报案",
             "parse_data": {"intent": {"name": "report_claim", "confidence": 0.9}}}
    identity = {"event": "user", "text": "7788", "parse_data": {"intent": {"name": "inform", "confidence": 0.9}}}
    tracker = make_tracker(verified(customers.emily), events=[first, identity], active_loop="report_claim_form")
    events, _ = run(FORM, tracker, DOMAIN)
    values = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert values == {"claim_insured": str(customers.zhang), "claim_event_type": "hospital",
                      "claim_event_date": (date.today() - timedelta(days=2)).isoformat(),
                      "requested_slot": "claim_place"}

    help_me = {**first, "text": "can you help me report a claim"}  # "me" here is not "for me"
    events, _ = run(FORM, make_tracker(verified(customers.emily), events=[help_me]), DOMAIN)
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {"requested_slot": "claim_insured"}
