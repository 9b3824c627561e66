"""TEDPolicy's remembered answers (bot/ted_cache.py) are the trained model's answers, computed once per state.

The trained model is loaded and TED's own graph node is run on conversations the load benchmark
walks (a greeting, a premium question before verification, a form in progress): the remembered
prediction equals the model's, a state seen again does not run the model, and what the ensemble
does to one caller's copy (zeroing a rejected action) does not reach the next caller.
"""
from __future__ import annotations

import numpy as np
import pytest
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.constants import PLACEHOLDER_TRACKER
from rasa.engine.graph import GraphNode
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import ted_cache
from tests.servers import MODEL, require_model


@pytest.fixture(scope="module")
def agent():
    from tests.nlu_eval import load_agent

    require_model()
    return load_agent(str(MODEL))


def user(text: str, intent: str) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 1.0})


CONVERSATIONS = {
    "greeting": [ActionExecuted("action_listen"), user("你好", "greet")],
    "greeted": [ActionExecuted("action_listen"), user("你好", "greet"), ActionExecuted("utter_greet")],
    "premium question": [ActionExecuted("action_listen"), user("保费什么时候交", "query_premium")],
    "phone asked": [ActionExecuted("action_listen"), user("保费什么时候交", "query_premium"),
                    ActionExecuted("action_remember_request"), ActionExecuted("verify_identity_form"),
                    ActiveLoop("verify_identity_form"), SlotSet("requested_slot", "phone"),
                    ActionExecuted("action_listen"), user("13800000001", "inform")],
}


def ted_node(agent) -> str:
    return next(name for name, graph_node in agent.processor.graph_runner._instantiated_nodes.items()
                if isinstance(graph_node, GraphNode) and isinstance(graph_node._component, TEDPolicy))


def ted_prediction(agent, events):
    """TED's own node of the loaded model, run on a tracker of these events; (prediction, the policy)."""
    runner, node = agent.processor.graph_runner, ted_node(agent)
    tracker = DialogueStateTracker.from_events("ted-cache", events, slots=agent.domain.slots)
    return runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[node])[node], runner._instantiated_nodes[node]._component


def remembering(agent, monkeypatch) -> None:
    """As install() before the model loads: the graph node took its method from the class when it was built."""
    graph_node = agent.processor.graph_runner._instantiated_nodes[ted_node(agent)]
    monkeypatch.setattr(graph_node, "_fn", ted_cache.predict_remembered)


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_the_remembered_answer_is_the_model_s_and_runs_the_model_once(agent, monkeypatch, name):
    events = CONVERSATIONS[name]
    from_model, policy = ted_prediction(agent, events)  # not installed: Rasa's own method
    runs, run_model = [], ted_cache._predict_with_model

    def counted(*args, **kwargs):
        runs.append(1)
        return run_model(*args, **kwargs)

    remembering(agent, monkeypatch)
    monkeypatch.setattr(ted_cache, "_predict_with_model", counted)
    monkeypatch.setattr(policy, ted_cache._MEMORY_ATTRIBUTE, None, raising=False)  # start empty
    first, _ = ted_prediction(agent, events)
    second, _ = ted_prediction(agent, events)
    assert len(runs) == 1, "the second time the state was remembered"
    assert np.allclose(first.probabilities, from_model.probabilities, atol=1e-6)
    assert second.probabilities == first.probabilities
    assert (second.policy_name, second.is_end_to_end_prediction) == (from_model.policy_name,
                                                                       from_model.is_end_to_end_prediction)


def test_a_caller_changing_its_copy_leaves_the_memory_alone(agent, monkeypatch):
    remembering(agent, monkeypatch)
    first, _ = ted_prediction(agent, CONVERSATIONS["greeting"])
    best = int(np.argmax(first.probabilities))
    first.probabilities[best] = 0.0  # what the ensemble does to a rejected action
    again, _ = ted_prediction(agent, CONVERSATIONS["greeting"])
    assert again.probabilities[best] > 0.0


def test_different_states_get_different_answers(agent, monkeypatch):
    remembering(agent, monkeypatch)
    greeting, _ = ted_prediction(agent, CONVERSATIONS["greeting"])
    greeted, _ = ted_prediction(agent, CONVERSATIONS["greeted"])
    assert greeting.probabilities != greeted.probabilities
