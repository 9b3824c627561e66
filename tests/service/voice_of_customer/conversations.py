"""Rasa conversations for the voice-of-the-customer tests, saved through the product's own tracker store."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Dict, List, Optional

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import RedactingSQLTrackerStore

# A low rating and its comment, on each channel, in the channel's usual language.
CHANNELS = {"rest": "zh-Hans", "socketio": "zh-Hant", "telegram": "yue", "voice_message": "en", "phone": "zh-Hans"}
COMMENTS = {"zh-Hans": "提醒太少了，我的电话是13800000001", "zh-Hant": "繳費前都沒有提醒，卡號6222021234567894",
            "yue": "提醒太少啦，成日唔记得交保费", "en": "no reminder before my premium was due, call me on 13700000003"}


def user(text: str, intent: str, at: float, channel: str, entities: Optional[List[dict]] = None) -> Dict:
    return {"event": "user", "timestamp": at, "text": text, "input_channel": channel,
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": entities or [], "text": text}}


def low_rating_conversation(channel: str, language: str, start: datetime, rating: int = 2) -> List[Dict]:
    """Greeting, a premium question, a rating, the bot's 'what should be better?', the customer's comment."""
    t = start.timestamp()
    return [
        {"event": "action", "name": "action_session_start", "timestamp": t},
        {"event": "session_started", "timestamp": t + 0.001},
        {"event": "slot", "name": "language", "value": language, "timestamp": t + 0.002},
        user("你好", "greet", t + 1, channel),
        user("我的保费什么时候交", "query_premium", t + 5, channel),
        {"event": "action", "name": "action_offer_rating", "timestamp": t + 6},
        user(f'/give_feedback{{"rating":"{rating}"}}', "give_feedback", t + 10, channel,
             [{"entity": "rating", "value": str(rating)}]),
        {"event": "action", "name": "action_feedback", "timestamp": t + 11},
        {"event": "bot", "text": "怎样做会更好？", "timestamp": t + 11.5},
        user(COMMENTS[language], "give_feedback", t + 40, channel),
    ]


def handoff_conversation(channel: str, start: datetime) -> List[Dict]:
    t = start.timestamp()
    return [
        {"event": "session_started", "timestamp": t},
        user("转人工", "request_human", t + 1, channel),
        {"event": "action", "name": "action_handoff", "timestamp": t + 2},
        {"event": "pause", "timestamp": t + 3},
    ]


def abandoned_conversation(channel: str, start: datetime) -> List[Dict]:
    t = start.timestamp()
    return [
        {"event": "session_started", "timestamp": t},
        user("我要报案", "report_claim", t + 1, channel),
        {"event": "active_loop", "name": "claim_form", "timestamp": t + 2},
        user("那个医院的单子怎么弄", "nlu_fallback", t + 30, channel),
    ]


def save(tracker_url_path: str, conversations: Dict[str, List[Dict]]) -> None:
    """Save each sender's events through bot.tracker_store.RedactingSQLTrackerStore (Rasa's SQL store)."""
    store = RedactingSQLTrackerStore(Domain.empty(), dialect="sqlite", db=tracker_url_path)

    async def save_all() -> None:
        for sender, events in conversations.items():
            tracker = DialogueStateTracker.from_events(sender, [Event.from_parameters(e) for e in events])
            await store.save(tracker)

    asyncio.run(save_all())


def broker_messages(conversations: Dict[str, List[Dict]]) -> List[Dict]:
    """What Rasa's event broker publishes: each event with its sender_id."""
    return [{**event, "sender_id": sender} for sender, events in conversations.items() for event in events]


def long_ago(minutes: int = 120) -> datetime:
    return datetime.utcnow() - timedelta(minutes=minutes)
