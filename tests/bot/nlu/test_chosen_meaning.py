"""A which-meaning button naming an FAQ topic is that topic's answer, named on the intent as Rasa names it."""
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.chosen_meaning import ChosenMeaning


def test_an_faq_button_is_that_topic_with_certainty():
    message, = ChosenMeaning().process([Message(data={"text": "/faq/grace_period"})])
    assert message.get("intent") == {"name": "faq", "confidence": 1.0, "full_retrieval_intent_name": "faq/grace_period"}
    assert message.get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/grace_period"


def test_other_messages_are_left_to_the_classifiers():
    said = Message(data={"text": "宽限期是多久", "intent": {"name": "faq", "confidence": 0.9}})
    message, = ChosenMeaning().process([said])
    assert message.get("intent") == {"name": "faq", "confidence": 0.9}
