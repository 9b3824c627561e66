"""The numeric gate: make test fails when intent accuracy on the gate split drops (README: NLU).

The gate split (tests/nlu_gate/, 82 phrasings per language) was written before the data of issue 16
and is never tuned on; the older split (tests/nlu_heldout/) is a development set, reported by
`make nlu-report` and `make bench` but not gated.
"""
import pytest

from tests.nlu_eval import GATE, evaluate
from tests.servers import MODEL

# Measured (2026-11-30, 2 cores under heavy load, fixed seed) after issue 16's third round of data:
# zh-Hans 95.1, zh-Hant 96.3, yue 92.7, en 93.9, all 94.5 (the model before it, retrained the same way:
# 92.7 / 93.9 / 93.9 / 97.6, all 94.5; before issue 16: 85.4 / 89.0 / 89.0 / 89.0, all 88.1).
# Two trainings of the same inputs are identical on one machine, but any change to the inputs moves a
# language by 1-5 of its 82 phrasings (1.2 points each); the full `rasa train` even gives another classifier
# than `rasa train nlu` on the same NLU data (41 of 925 development and tuning labels differ), so a change
# to stories or rules alone may move it too. Each language's floor
# sits 2 phrasings under its figure (2.4-3.1 points), "all" 8 phrasings under, so CI's training on
# another CPU passes and a broken pipeline (far lower) fails.
MIN_ACCURACY = {"zh-Hans": 0.92, "zh-Hant": 0.93, "yue": 0.90, "en": 0.91, "all": 0.92}
# The which-meaning question (actions/disambiguation.py) should be rare: issue 16 targets <= 5% of turns.
MAX_ASKED_WHICH_MEANING = 0.08


@pytest.fixture(scope="module")
def gate(trained_agent):
    return evaluate(str(MODEL), GATE, agent=trained_agent)


@pytest.mark.parametrize("language", sorted(MIN_ACCURACY))
def test_gate_intent_accuracy(gate, language):
    misses = [e for e in gate.errors if language in (e[0], "all")][:15]
    assert gate.accuracy[language] >= MIN_ACCURACY[language], f"{language}: {gate.accuracy[language]:.3f}; misses: {misses}"


def test_the_which_meaning_question_is_rare(gate):
    assert gate.ambiguous["all"] <= MAX_ASKED_WHICH_MEANING
