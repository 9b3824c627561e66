"""The check of action server answers, with the schema checked once: the same verdicts as Rasa's own."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.action_response import validate_action_result

GOOD = [
    {"events": [{"event": "slot", "name": "language", "value": "en"}], "responses": [{"text": "hi"}]},
    {"events": [], "responses": []},
    {},
]
BAD = [
    {"events": [{"event": "slot", "name": "language", "value": "en", "timestamp": "yesterday"}]},
    {"events": [{"event": "no_such_event"}]},
    {"responses": "hi"},
]


@pytest.mark.parametrize("answer", GOOD)
def test_a_good_answer_passes_as_with_rasa(answer):
    rasa_verdict = RemoteAction("x", None)._validate_action_result(answer)
    assert validate_action_result(RemoteAction("x", None), answer) is rasa_verdict is True


@pytest.mark.parametrize("answer", BAD)
def test_a_bad_answer_is_refused_with_rasa_s_message(answer):
    with pytest.raises(jsonschema.ValidationError) as rasa_error:
        RemoteAction("x", None)._validate_action_result(answer)
    with pytest.raises(jsonschema.ValidationError) as ours:
        validate_action_result(RemoteAction("x", None), answer)
    assert ours.value.message == rasa_error.value.message
