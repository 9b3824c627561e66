"""TEDPolicy's answer remembered per dialogue state, so a state seen before costs no inference.

Profiled under load (issue 14), TEDPolicy was the largest single cost of a turn: about a quarter of
`handle_message`, three quarters of it the TensorFlow call, and it runs for every action a turn
predicts, also when a rule or a memorized story decides. Its answer depends only on the dialogue
states it is given (the last `max_history` turns: intent, entities, previous action, featurized
slots, active form) and on the loaded model: Anxin's stories have no end-to-end user text, so the
words of a message never reach TED. Conversations walk the same few hundred states over and over,
so `install()` (called by bot/serve.py before Rasa starts) wraps `predict_action_probabilities`:
the states are computed as TED computes them, and a state sequence already answered by this
policy instance gets the same prediction again without featurizing or running the model. A model
loaded later is a new policy instance with an empty memory. A model trained with end-to-end text
runs TED every time, as before.
"""
from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any, Dict, Hashable, Optional

from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

REMEMBERED_STATES = 20_000  # each a list of action confidences: a few MB at most
_MEMORY_ATTRIBUTE = "_anxin_remembered_predictions"

_predict_with_model = TEDPolicy.predict_action_probabilities


def frozen(value: Any) -> Hashable:
    """A hashable copy of a dialogue state (dicts, lists and tuples of strings and numbers)."""
    if isinstance(value, dict):
        return tuple(sorted((key, frozen(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(frozen(item) for item in value)
    return value


def _memory(policy: TEDPolicy) -> "OrderedDict[Hashable, PolicyPrediction]":
    memory = getattr(policy, _MEMORY_ATTRIBUTE, None)
    if memory is None:
        memory = OrderedDict()
        setattr(policy, _MEMORY_ATTRIBUTE, memory)
    return memory


def _fresh_copy(prediction: PolicyPrediction) -> PolicyPrediction:
    """The ensemble zeroes a rejected action's confidence in place: each caller gets its own lists."""
    answer = copy.copy(prediction)
    answer.probabilities = list(prediction.probabilities)
    answer.events = list(prediction.events)
    return answer


def predict_remembered(policy: TEDPolicy, tracker: DialogueStateTracker, domain: Domain,
                       rule_only_data: Optional[Dict[str, Any]] = None, precomputations: Any = None,
                       **kwargs: Any) -> PolicyPrediction:
    """TEDPolicy.predict_action_probabilities, answered from memory for a state sequence seen before."""
    if policy.model is None or TEXT in policy.fake_features:  # untrained, or end-to-end: run it
        return _predict_with_model(policy, tracker, domain, rule_only_data=rule_only_data,
                                   precomputations=precomputations, **kwargs)
    states = policy._prediction_states(tracker, domain, use_text_for_last_user_input=False,
                                       rule_only_data=rule_only_data)
    key = frozen(states)
    memory = _memory(policy)
    remembered = memory.get(key)
    if remembered is None:
        remembered = _predict_with_model(policy, tracker, domain, rule_only_data=rule_only_data,
                                         precomputations=precomputations, **kwargs)
        memory[key] = remembered
        if len(memory) > REMEMBERED_STATES:
            memory.popitem(last=False)
    else:
        memory.move_to_end(key)
    return _fresh_copy(remembered)


def install() -> None:
    """Make every TEDPolicy of this process remember its predictions per state sequence."""
    TEDPolicy.predict_action_probabilities = predict_remembered  # type: ignore[assignment]
