"""Issue 12 item 4: the tracker store redacts before it writes, and the forms still work from memory.

A real SQLite tracker store (the class bot/endpoints.yml names) saves a conversation with a whole
ID number, the ID digits and a card number in it; the database file holds none of them, and the
tracker read back still has the slots a form carries from turn to turn.
"""
from __future__ import annotations

import asyncio
import re

from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import RedactingSQLTrackerStore

ID_NUMBER = "110105195005125821"
CARD = "6222 0212 3456 7894"
DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  id_last4: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  phone: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  new_account: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  new_phone: {type: text, influence_conversation: false, mappings: [{type: custom}]}
""")


def user(text: str) -> UserUttered:
    return UserUttered(text, {"name": "inform", "confidence": 0.9},
                       parse_data={"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": []})


def conversation() -> list:
    return [
        ActionExecuted("action_listen"), user("查保单"),
        ActiveLoop("verify_identity_form"), SlotSet("requested_slot", "phone"), ActionExecuted("action_listen"),
        user("13800000001"), SlotSet("phone", "13800000001"), SlotSet("requested_slot", "id_last4"),
        ActionExecuted("action_listen"),
        user("后四位是五八二一"), SlotSet("id_last4", "5821"), SlotSet("requested_slot", None), ActiveLoop(None),
        SlotSet("id_last4", None),
        ActionExecuted("action_listen"), user(f"我的身份证是{ID_NUMBER}"),
        ActiveLoop("change_account_form"), SlotSet("requested_slot", "new_account"), ActionExecuted("action_listen"),
        user(f"卡号 {CARD}"), SlotSet("new_account", CARD), SlotSet("new_account", "****7894"),
        BotUttered(f"确认改为 {CARD} 吗？"), SlotSet("new_phone", "13600000009"),
    ]


def test_the_store_holds_no_card_or_id_number_nor_the_id_digits(tmp_path):
    database = tmp_path / "tracker.db"
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{database}")
    tracker = DialogueStateTracker.from_events("chat-1", conversation(), slots=DOMAIN.slots)
    asyncio.run(store.save(tracker))
    assert tracker.get_slot("new_account") == "****7894" and any(
        getattr(e, "text", None) == f"卡号 {CARD}" for e in tracker.events), "the tracker in memory is unchanged"

    stored = database.read_bytes().decode("utf-8", "replace")
    stored_json = stored.encode().decode("unicode_escape", "replace")  # json.dumps escaped the Chinese
    for secret in (ID_NUMBER, CARD, CARD.replace(" ", ""), "五八二一"):
        assert secret not in stored and secret not in stored_json, secret
    assert not re.search(r"(?<!\d)5821(?!\d)", stored), "the ID digits"

    again = asyncio.run(store.retrieve("chat-1"))
    assert again.get_slot("phone") == "13800000001"       # forms still carry phone numbers
    assert again.get_slot("new_phone") == "13600000009"
    assert again.get_slot("new_account") == "****7894"
    assert again.get_slot("id_last4") is None
    texts = [e.text for e in again.events if isinstance(e, UserUttered)]
    assert texts == ["查保单", "13800000001", "****", "我的身份证是****", "卡号 ****7894"]


def test_saving_twice_adds_only_the_new_events(tmp_path):
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    events = conversation()
    tracker = DialogueStateTracker.from_events("chat-2", events[:5], slots=DOMAIN.slots)
    asyncio.run(store.save(tracker))
    for event in events[5:]:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    assert len(asyncio.run(store.retrieve("chat-2")).events) == len(events)


class CollectingBroker(EventBroker):
    """Keeps what would go to RabbitMQ (the real queue: tests/deploy/test_many_servers.py)."""

    def __init__(self) -> None:
        self.published: list = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def test_each_new_event_is_streamed_once_in_order_and_redacted(tmp_path):
    broker = CollectingBroker()
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'tracker.db'}", event_broker=broker)
    events = conversation()
    for end in (5, 12, len(events)):  # three turns: each save streams only what is new
        asyncio.run(store.save(DialogueStateTracker.from_events("chat-2", events[:end], slots=DOMAIN.slots)))
    assert [e["event"] for e in broker.published] == [e.as_dict()["event"] for e in events]
    assert {e["sender_id"] for e in broker.published} == {"chat-2"}
    assert CARD not in str(broker.published) and ID_NUMBER not in str(broker.published)


def test_concurrent_saves_on_worker_threads_each_keep_their_whole_conversation(tmp_path):
    """Saves run off the event loop (issue 14): many conversations saved at once all arrive whole, redacted."""
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    events = conversation()
    senders = [f"chat-{n}" for n in range(8)]

    async def save_all() -> None:
        trackers = [DialogueStateTracker.from_events(s, events, slots=DOMAIN.slots) for s in senders]
        await asyncio.gather(*(store.save(t) for t in trackers))

    asyncio.run(save_all())
    for sender in senders:
        again = asyncio.run(store.retrieve(sender))
        assert len(again.events) == len(events)
        assert again.get_slot("new_account") == "****7894" and again.get_slot("id_last4") is None
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
