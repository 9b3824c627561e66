"""The numeric gate: make test fails when intent accuracy on the gate split drops (README: NLU).

The gate split (tests/nlu_gate/, 82 phrasings per language) was written before the data of issue 16
and is never tuned on; the older split (tests/nlu_heldout/) is a development set, reported by
`make nlu-report` and `make bench` but not gated.
"""
import pytest

from tests.nlu_eval import GATE, evaluate
from tests.servers import MODEL

# Measured (2026-11-30, 2 cores under heavy load, fixed seed), after the second round of issue 16's data:
# zh-Hans 92.7, zh-Hant 93.9, yue 93.9, en 97.6, all 94.5 (the model before that round, retrained on this
# machine: 91.5 / 92.7 / 92.7 / 92.7, all 92.4; an earlier retrain of the same data had 92.7 / 98.8 / 95.1 /
# 93.9, so a retrain alone moves a language by up to 5 phrasings; before issue 16: 85.4 / 89.0 / 89.0 / 89.0,
# all 88.1). The merged data retrained on the same machine gave the same 92.7 / 93.9 / 93.9 / 97.6 / 94.5.
# One phrasing is 1.2 points of a language; each floor sits 4-5 phrasings under the figure (the swing a
# retrain alone has shown, plus one), so CI's fresh training on another CPU passes and a real regression
# (a broken pipeline scores far lower) fails.
MIN_ACCURACY = {"zh-Hans": 0.88, "zh-Hant": 0.89, "yue": 0.89, "en": 0.91, "all": 0.91}
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
