"""Listen and measure: conversations from the tracker store and the broker, counted once, masked, rolled up."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from actions.service.core.db import session_scope
from actions.service.core.interactions import COMPLAINT, FALLBACK, RATING, Interaction, record_service_event
from actions.service.human_lane.handoff import record_feedback
from actions.service.voice_of_customer import ingest, metrics
from actions.service.voice_of_customer.analysis import theme_voices
from actions.service.voice_of_customer.tables import Contact, ConversationEvent, Voice
from tests.service.voice_of_customer.conversations import (
    CHANNELS, abandoned_conversation, broker_messages, handoff_conversation, long_ago, low_rating_conversation, save,
)

LABELLED = Path(__file__).with_name("labelled_voices.tsv")
DIGITS = re.compile(r"\d{5,}|\d{4}(?!\d)")  # anything of a phone, card or ID number (a last 4 included)


@pytest.fixture
def conversations(demo_db, tmp_path):
    """A low rating with a comment on every channel, one handoff and one abandoned claim report, in the
    tracker store (through the product's redacting store); returns (tracker db path, conversations)."""
    start = long_ago()
    chats = {f"{channel}-customer": low_rating_conversation(channel, language, start + timedelta(minutes=i))
             for i, (channel, language) in enumerate(CHANNELS.items())}
    chats["handoff-customer"] = handoff_conversation("rest", start)
    chats["abandoned-customer"] = abandoned_conversation("socketio", start)
    path = str(tmp_path / "tracker.db")
    save(path, chats)
    return path, chats


def labelled_voices():
    rows = [line.rstrip("\n").split("\t") for line in LABELLED.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    return [dict(kind="feedback", sender_id=f"labelled-{i}", at=long_ago(), language=language, text=text)
            for i, (_theme, language, text) in enumerate(rows)]


def _counts():
    with session_scope() as session:
        return (session.query(ConversationEvent).count(), session.query(Contact).count(),
                session.query(Voice).count())


def test_the_same_events_from_broker_and_tracker_store_count_once(conversations):
    path, chats = conversations
    ingest.ingest_conversation_events(broker_messages(chats), source="broker")
    after_broker = _counts()
    assert ingest.collect_from_tracker_store(f"sqlite:///{path}") > 0
    assert _counts() == after_broker  # the tracker store's copies of the same events add nothing
    ingest.ingest_conversation_events(broker_messages(chats), source="broker")  # a redelivered batch
    assert _counts() == after_broker
    assert ingest.collect_from_tracker_store(f"sqlite:///{path}") == 0  # the cursor moved on
    assert after_broker[1] == len(chats)  # one contact per conversation


def test_a_low_rating_comment_on_every_channel_reaches_metrics_and_a_theme(conversations):
    path, chats = conversations
    ingest.collect_from_tracker_store(f"sqlite:///{path}")
    with session_scope() as session:
        comments = {v.channel: v for v in session.query(Voice).filter_by(kind=ingest.LOW_RATING_COMMENT)}
        contacts = {c.sender_id: c for c in session.query(Contact)}
    assert set(comments) == set(CHANNELS)
    assert all(v.rating == 2 for v in comments.values())
    assert contacts["handoff-customer"].handed_off and not contacts["handoff-customer"].abandoned
    assert contacts["abandoned-customer"].abandoned and contacts["abandoned-customer"].fallbacks == 1

    rates = metrics.contact_rates(metrics.load_contacts(), by=("channel",)).set_index("channel")
    for channel in CHANNELS:
        assert rates.loc[channel, "rated"] >= 1 and rates.loc[channel, "satisfied"] == 0
        assert rates.loc[channel, "satisfaction_high"] < 0.9  # a Wilson interval, not a point

    ingest.add_voices(labelled_voices())  # themes are found among many voices, not five
    report = theme_voices()
    with session_scope() as session:
        themes = {v.channel: v.theme for v in session.query(Voice).filter_by(kind=ingest.LOW_RATING_COMMENT)}
    assert len(set(themes.values())) == 1 and "reminder" in next(iter(themes.values()))  # four languages, one theme
    assert report.voices >= len(CHANNELS) and report.quadrants


def test_no_phone_card_or_id_digits_are_stored_for_analysis(conversations, customers):
    path, _ = conversations
    interaction = Interaction("web-1", customers.wang, "rest", "zh-Hans", "give_feedback")
    record_feedback(interaction, "客服电话 13800000001 打不通，身份证 110101195005125821", None)
    record_service_event(interaction, FALLBACK, "我的卡 6222 0212 3456 7894 扣款失败")
    ingest.collect_from_tracker_store(f"sqlite:///{path}")
    ingest.collect_from_service_records()
    with session_scope() as session:
        texts = [v.text for v in session.query(Voice)] + [e.text for e in session.query(ConversationEvent)]
    assert len(texts) > 10
    leaks = [t for t in texts if DIGITS.search(t)]
    assert leaks == []


def test_business_records_become_voices_once(demo_db, customers):
    interaction = Interaction("tg-1", customers.emily, "telegram", "en", "give_feedback")
    record_feedback(interaction, "No reminder before my premium was due")
    record_feedback(interaction, "5", 5)  # a rating alone says nothing to analyse
    record_service_event(Interaction("tg-1", customers.emily, "telegram", "en", "nlu_fallback"), FALLBACK,
                         "can I pay by alipay")
    assert ingest.collect_from_service_records() == 2
    assert ingest.collect_from_service_records() == 0
    # The same words from the conversation (the follow-up after a low rating) upgrade the voice, not add one.
    ingest.add_voices([dict(kind=ingest.LOW_RATING_COMMENT, sender_id="tg-1", at=long_ago(), rating=1,
                            text="No reminder before my premium was due")])
    with session_scope() as session:
        kinds = sorted(v.kind for v in session.query(Voice))
    assert kinds == ["fallback", "low_rating_comment"]


def test_rollup_from_service_events(demo_db, customers):
    for channel, language, rating in [("rest", "zh-Hans", 5), ("rest", "zh-Hans", 4), ("telegram", "en", 1),
                                      ("phone", "yue", 5)]:
        record_service_event(Interaction("s", customers.wang, channel, language, "give_feedback"), RATING, str(rating))
    record_service_event(Interaction("s", customers.wang, "rest", "zh-Hans", "complaint"), COMPLAINT, "TS-1 service")
    frames = metrics.rollup()
    satisfaction = frames["satisfaction"].set_index(["channel", "language"])
    assert satisfaction.loc[("rest", "zh-Hans"), "satisfaction"] == 1.0
    assert satisfaction.loc[("telegram", "en"), "satisfaction"] == 0.0
    low, high = satisfaction.loc[("rest", "zh-Hans"), ["satisfaction_low", "satisfaction_high"]]
    assert 0 < low < 1 and high == pytest.approx(1.0)
    assert frames["hour_weekday"].to_numpy().sum() == 5
    assert set(frames) >= {"contacts", "daily", "volumes", "agents", "complaints"}


def test_agent_first_responses_and_complaints_on_time():
    import pandas as pd

    at = pd.Timestamp("2026-11-20 02:00")
    tickets = pd.DataFrame({"channel": ["rest"] * 3, "language": ["zh-Hans", "zh-Hans", "en"], "priority": ["senior", None, None],
                            "created_at": [at] * 3,
                            "first_response_at": [at + pd.Timedelta(seconds=5), at + pd.Timedelta(seconds=40), pd.NaT]})
    agents = metrics.agent_first_responses(tickets).set_index("language")
    assert agents.loc["zh-Hans", "answered"] == 2 and agents.loc["zh-Hans", "sla_breaches"] == 1
    assert agents.loc["zh-Hans", "median_seconds"] == pytest.approx(22.5)
    complaints = pd.DataFrame({"category": ["claims", "claims", "service"], "created_at": [at] * 3,
                               "status": ["resolved", "resolved", "open"],
                               "resolution_due": [at + pd.Timedelta(days=5)] * 3,
                               "resolved_at": [at + pd.Timedelta(days=1), at + pd.Timedelta(days=9), pd.NaT]})
    table = metrics.complaints_by_category(complaints, now=at + pd.Timedelta(days=10)).set_index("category")
    assert table.loc["claims", "on_time_rate"] == pytest.approx(0.5)
    assert table.loc["service", "late"] == 1  # open past its deadline
