"""The FAQ ResponseSelector runs only on a message that may be an FAQ question.

Profiled under load (issue 14), the ResponseSelector (its own DIET model over the same character
and pinyin features) was 16% of a turn's time in the Rasa server, on every message. Its answer is
read in three places only: the FAQ answer (`utter_faq`, when the intent is `faq`), the which-meaning
question (actions/disambiguation.py, when the FallbackClassifier found the top two intents too
close and one of them is `faq`) and `make review` (for those same two cases). The intent classifier
(DIET) runs before it in the pipeline, so its ranking is already on the message: when `faq` is
neither of DIET's two best intents, neither the FallbackClassifier nor the human-request detector
after it can make the message an FAQ, and the selector's answer would be read by nobody.

`install()` (called by bot/serve.py before Rasa starts) makes the selector skip such messages: they
carry no `response_selector` result. Every other message gets exactly the selector's own answer (a
payload naming an intent, "/faq", never reaches the pipeline; "/faq/<topic>" gets its answer from
bot/nlu/chosen_meaning.py). A selector for all retrieval intents (no `retrieval_intent`) runs always.
"""
from __future__ import annotations

from typing import List

from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

# The FallbackClassifier's ambiguity check and the which-meaning question compare DIET's top two.
INTENTS_THAT_MAY_BECOME_THE_ANSWER = 2

_select_responses = ResponseSelector.process


def may_be_retrieval_intent(message: Message, retrieval_intent: str) -> bool:
    """True when the selector's answer could be read: the intent is among DIET's two best."""
    ranking = message.get(INTENT_RANKING_KEY) or [message.get(INTENT) or {}]
    return any(intent.get(INTENT_NAME_KEY) == retrieval_intent
               for intent in ranking[:INTENTS_THAT_MAY_BECOME_THE_ANSWER])


def select_where_it_may_be_read(selector: ResponseSelector, messages: List[Message]) -> List[Message]:
    """ResponseSelector.process, run only on the messages whose answer may be read."""
    if not selector.retrieval_intent:
        return _select_responses(selector, messages)
    candidates = [message for message in messages if may_be_retrieval_intent(message, selector.retrieval_intent)]
    if candidates:
        _select_responses(selector, candidates)
    return messages


def install() -> None:
    """Make every ResponseSelector of this process skip messages that cannot be its intent."""
    ResponseSelector.process = select_where_it_may_be_read  # type: ignore[assignment]
