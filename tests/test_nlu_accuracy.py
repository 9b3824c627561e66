"""The numeric gate: make test fails when intent accuracy on the gate split drops (README: NLU).

The gate split (tests/nlu_gate/, 82 phrasings per language) was written before the data of issue 16
and is never tuned on; the older split (tests/nlu_heldout/) is a development set, reported by
`make nlu-report` and `make bench` but not gated.
"""
import pytest

from tests.nlu_eval import GATE, evaluate
from tests.servers import MODEL

# Measured FIGURES_PLACEHOLDER
MIN_ACCURACY = {"zh-Hans": 0.85, "zh-Hant": 0.85, "yue": 0.85, "en": 0.85, "all": 0.88}
# The which-meaning question (actions/disambiguation.py) should be rare: issue 16 targets <= 5% of turns.
MAX_ASKED_WHICH_MEANING = 0.08


@pytest.fixture(scope="module")
def gate():
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    return evaluate(str(MODEL), GATE)


@pytest.mark.parametrize("language", sorted(MIN_ACCURACY))
def test_gate_intent_accuracy(gate, language):
    misses = [e for e in gate.errors if language in (e[0], "all")][:15]
    assert gate.accuracy[language] >= MIN_ACCURACY[language], f"{language}: {gate.accuracy[language]:.3f}; misses: {misses}"


def test_the_which_meaning_question_is_rare(gate):
    assert gate.ambiguous["all"] <= MAX_ASKED_WHICH_MEANING
