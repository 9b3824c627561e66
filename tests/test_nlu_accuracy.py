"""The numeric gate: make test fails when held-out intent accuracy drops (README: NLU accuracy)."""
import pytest

from tests.nlu_eval import evaluate
from tests.servers import MODEL

# Per-language floor on phrasings the model has never seen. The target is 95% (README).
# Spread (2026-11-30, 2 cores): three retrains with the fixed seed on one machine gave the same
# figures to the last phrasing (zh-Hans 93.2, zh-Hant 96.6, yue 94.9, en 95.5, all 95.0), so what
# moves them is another CPU's float sums, a phrasing or two. Each floor sits 4.5-6.6 points (8-11 of
# the ~175 phrasings per language) under those figures: a new machine passes, a real regression fails.
MIN_ACCURACY = {"zh-Hans": 0.88, "zh-Hant": 0.9, "yue": 0.9, "en": 0.9, "all": 0.91}


@pytest.fixture(scope="module")
def accuracy():
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    return evaluate(str(MODEL))


@pytest.mark.parametrize("language", sorted(MIN_ACCURACY))
def test_heldout_intent_accuracy(accuracy, language):
    scores, errors = accuracy
    misses = [e for e in errors if language in (e[0], "all")][:15]
    assert scores[language] >= MIN_ACCURACY[language], f"{language}: {scores[language]:.3f}; misses: {misses}"
