"""What the agent console shows about a conversation: built from tracker events and the service layer."""
from datetime import datetime, timezone
from types import SimpleNamespace

from bot.console.views import (
    CANNED_REPLIES, canned_replies, collected_fields, intents_seen, main_intent, one_line_summary,
    open_claims_json, policies_json, stored_transcript, tracker_transcript, verification_json, visible_to,
)

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc).timestamp()


def user(text, intent, at, channel="rest"):
    return {"event": "user", "text": text, "timestamp": T0 + at, "input_channel": channel,
            "parse_data": {"intent": {"name": intent, "confidence": 0.93}}}


def bot(text, at):
    return {"event": "bot", "text": text, "timestamp": T0 + at}


EVENTS = [
    {"event": "action", "name": "action_session_start", "timestamp": T0},
    user("我要保单贷款", "policy_loan", 1),
    bot("请告诉我您的手机号码。", 2),
    user("13900000002", "inform", 3),
    {"event": "slot", "name": "requested_slot", "value": "id_last4", "timestamp": T0 + 3.5},
    user("7340", "inform", 3.6),
    {"event": "slot", "name": "requested_slot", "value": None, "timestamp": T0 + 3.7},
    {"event": "active_loop", "name": "policy_loan_form", "timestamp": T0 + 4},
    user("借35万", "inform", 5, channel="voice"),
    user("转人工", "request_human", 6),
    bot("好的，正在为您转接人工。", 7),
    user("after the handoff", "inform", 100),
]


def test_transcript_is_labelled_masked_and_stops_at_the_handoff():
    handoff_at = datetime.fromtimestamp(T0 + 50, tz=timezone.utc).replace(tzinfo=None)  # naive UTC, as stored
    lines = tracker_transcript(EVENTS, until=handoff_at)
    assert [line["author"] for line in lines] == ["customer", "bot", "customer", "customer", "customer", "customer",
                                                  "bot"]
    assert lines[2]["text"] == "****0002"  # a phone number typed by the customer
    assert lines[3]["text"] == "****"  # the last 4 digits of the ID card
    assert lines[4]["text"] == "借35万" and lines[4]["voice"] is True
    assert "after the handoff" not in [line["text"] for line in lines]


def test_stored_transcript_is_the_fallback():
    lines = stored_transcript([("customer", "我的卡号 6222020200112233445"), ("bot", "请稍等"), ("customer", "734X")])
    assert lines == [{"author": "customer", "text": "我的卡号 ****3445", "at": None},
                     {"author": "bot", "text": "请稍等", "at": None}, {"author": "customer", "text": "****", "at": None}]


def test_main_intent_is_what_the_customer_came_for_not_the_handoff():
    intents = intents_seen(EVENTS)
    assert [i["name"] for i in intents] == ["policy_loan", "inform", "request_human", "inform"]
    assert main_intent(intents[:3]) == "policy_loan"
    assert main_intent([{"name": "request_human", "confidence": 1.0}], reason="request_human") == "request_human"


def test_fields_are_grouped_by_form_and_private_numbers_masked():
    slots = {"loan_policy": "P2016000003", "loan_amount": 350000.0, "phone": "13900000002", "id_last4": "7340",
             "new_account": "6222020200112233445", "verified": True, "requested_slot": "loan_amount",
             "claim_place": None, "language": "zh-Hans"}
    fields = collected_fields(slots, {"policy_loan_form": ["loan_policy", "loan_amount"]})
    assert fields["forms"] == {"policy_loan_form": {"loan_policy": "P2016000003", "loan_amount": 350000}}
    assert fields["other"] == {"id_last4": "****", "language": "zh-Hans", "new_account": "****3445",
                               "phone": "139****0002", "verified": True}


def test_summary_says_who_what_and_state_in_one_line():
    slots = {"verified": True, "customer_name": "张秀英", "is_senior": True, "phone": "13900000002"}
    verification = verification_json(slots, customer_id=2)
    assert verification["phone"] == "139****0002" and verification["verified"]
    ticket = {"language": "zh-Hans", "priority": "senior", "summary": "转人工 13900000002"}
    fields = {"forms": {"policy_loan_form": {"loan_amount": 350000}}, "other": {}}
    summary = one_line_summary(ticket, verification, "policy_loan", fields, policies=1, claims=0)
    assert "\n" not in summary
    for part in ("张秀英", "senior", "verified", "wants: 保单贷款 Policy loan", "保单贷款 Policy loan: 1 项 field(s)",
                 "1 policy", "****0002"):
        assert part in summary, part
    assert "policy_loan" not in summary  # human words, not the bot's names
    assert "13900000002" not in summary
    assert "said" not in one_line_summary({**ticket, "summary": "/request_human"}, verification, "", fields, 0, 0)


def test_agents_see_their_languages_supervisors_everything():
    cantonese = SimpleNamespace(id=1, role="agent", skills=("yue",))
    mandarin = SimpleNamespace(id=3, role="agent", skills=("zh-Hans",))
    assert visible_to(mandarin, SimpleNamespace(language="zh-Hant", agent_id=None))  # Mandarin, either script
    supervisor = SimpleNamespace(id=2, role="supervisor", skills=())
    english_ticket = SimpleNamespace(language="en", agent_id=None)
    assert not visible_to(cantonese, english_ticket)
    assert visible_to(supervisor, english_ticket)
    assert visible_to(cantonese, SimpleNamespace(language="yue", agent_id=None))
    assert visible_to(cantonese, SimpleNamespace(language="en", agent_id=1))  # one they hold


def test_canned_replies_in_each_language():
    assert set(CANNED_REPLIES) == {"zh-Hans", "zh-Hant", "yue", "en"}
    assert all(len(replies) == len(CANNED_REPLIES["en"]) for replies in CANNED_REPLIES.values())
    assert canned_replies("yue")[0].startswith("您好，我係")
    assert canned_replies(None) == list(CANNED_REPLIES["zh-Hans"])


def test_policies_and_open_claims_of_a_demo_customer_with_masked_accounts(customers):
    policies = policies_json(customers.wang)
    assert {p["number"] for p in policies} == {"P2019000001", "P2021000002"}
    assert all(p["debit_account"].split()[-1].startswith("****") for p in policies)
    claims = open_claims_json(customers.wang)
    assert len(claims) == 1 and claims[0]["reference"].startswith("CL-") and claims[0]["next_step"]
    assert policies_json(customers.emily)[0]["premium"] == "¥450"
