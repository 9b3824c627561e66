"""action_set_reminder and the reminder notices, called the way the action server calls them (real SQLite)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from rasa_sdk.executor import CollectingDispatcher

from actions.language import ActionSessionStart
from actions.reminders import ActionSetReminder
from actions.service.customers.channel_links import link_channel
from actions.service.reminders.preferences import get_preferences
from actions.service.scheduler import run_once
from tests.actions.tracker_helpers import make_tracker, run, said, verified


def remind(customer_id, text, language="zh-Hans", entities=None, is_senior=False):
    tracker = make_tracker(verified(customer_id, language=language, is_senior=is_senior), intent="set_reminder",
                           text=text, entities=entities)
    return run(ActionSetReminder(), tracker)


def test_plain_request_keeps_defaults_gives_calendar_and_offers_changes(customers):
    events, dispatcher = remind(customers.wang, "提醒我交费", is_senior=True)
    assert events == []
    assert said(dispatcher) == ["utter_reminder_plan", "utter_next_due", "utter_calendar_link", "utter_reminder_options"]
    assert dispatcher.messages[1]["due_date"]  # when the premium the reminders are about falls due
    plan = dispatcher.messages[0]
    assert plan["days"] == "30、7和1" and plan["channels"] == "网页聊天消息和电话"
    assert get_preferences(customers.wang).lead_days is None


def test_lead_days_and_telegram_only_in_english(customers):
    link_channel(customers.emily, "telegram", "777")
    _, dispatcher = remind(customers.emily, "remind me 5 days before, only on telegram", language="en")
    assert dispatcher.messages[0]["days"] == "30, 7, 5 and 1" and dispatcher.messages[0]["channels"] == \
        "Telegram and web chat message"
    preferences = get_preferences(customers.emily)
    assert preferences.lead_days == 5 and preferences.channels == ("telegram",)
    assert "utter_reminder_options" not in said(dispatcher)


def test_telegram_asked_but_not_linked_says_how(customers):
    _, dispatcher = remind(customers.chan, "只用Telegram提醒", language="zh-Hant")
    assert "utter_reminder_telegram_not_linked" in said(dispatcher)


def test_opt_out_by_words_and_by_button(customers):
    _, dispatcher = remind(customers.wang, "不要再提醒我了")
    assert said(dispatcher) == ["utter_reminders_off"] and get_preferences(customers.wang).opted_out
    remind(customers.wang, "提醒我交费")
    assert not get_preferences(customers.wang).opted_out
    remind(customers.wang, "/set_reminder", entities=[{"entity": "reminder_opt", "value": "out"}])
    assert get_preferences(customers.wang).opted_out


def test_unverified_customer_is_asked_to_verify_first(customers):
    tracker = make_tracker({"language": "zh-Hans"}, intent="set_reminder", text="提前三天提醒我")
    events, dispatcher = run(ActionSetReminder(), tracker)
    assert said(dispatcher) == ["utter_need_verification"]
    assert get_preferences(customers.wang).lead_days is None


def test_request_made_before_verification_is_read_after_it(customers):
    earlier = [{"event": "user", "text": "提前三天提醒我",
                "parse_data": {"intent": {"name": "set_reminder"}, "entities": []}},
               {"event": "user", "text": "5821", "parse_data": {"intent": {"name": "inform"}, "entities": []}}]
    tracker = make_tracker(verified(customers.wang), intent="inform", text="5821", events=earlier)
    ActionSetReminder().respond(CollectingDispatcher(), tracker, customers.wang, "zh-Hans")
    assert get_preferences(customers.wang).lead_days == 3


def test_session_start_of_a_linked_web_chat_shows_waiting_reminders_once(customers):
    run_once(datetime.combine(date.today() + timedelta(days=1), datetime.min.time()) + timedelta(hours=2))
    link_channel(customers.emily, "socketio", "web-visitor-1")
    events = [{"event": "user", "text": "hi", "input_channel": "socketio", "parse_data": {"intent": {}}}]
    tracker = make_tracker({"language": "en"}, events=events, sender_id="web-visitor-1")
    _, dispatcher = run(ActionSessionStart(), tracker)
    shown = [m for m in dispatcher.messages if m.get("response") == "utter_reminder_waiting"]
    assert len(shown) == 1 and shown[0]["count"] == 1  # a chat sentence in the chat's language, not the push
    assert not any("Dear Emily Li" in (m.get("text") or "") for m in dispatcher.messages)
    _, again = run(ActionSessionStart(), tracker)
    assert not any(m.get("response") == "utter_reminder_waiting" for m in again.messages)
