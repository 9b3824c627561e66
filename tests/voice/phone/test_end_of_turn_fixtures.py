"""Issue 17's fixture set: elders' mid-sentence pauses and complete utterances, both end-of-turn rules.

The gates sit a little outside the figures measured on this machine (README, phone figures), so
the model's run-to-run and machine-to-machine spread does not fail the test, while a rule that
stopped working would: the smart rule must not cut off more unfinished sentences than the fixed
1.8 s rule does plus a margin, and must answer a good share of complete utterances at the short pause.
"""
import pytest

from tests.voice.phone.turn_fixtures import PAUSES_S, early_end_rates, fixtures, whisper_words

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def rates():
    return early_end_rates(words=whisper_words)


def test_the_fixture_set_has_sixty_utterances_in_three_languages_with_elders_pauses():
    made = fixtures()
    assert len(made) >= 60 and {f.language for f in made} == {"zh", "yue", "en"}
    paused = [f for f in made if f.pause]
    assert {f.pause[1] for f in paused} == set(PAUSES_S) and min(PAUSES_S) == 1.0 and max(PAUSES_S) == 2.0
    assert all(0.3 < f.pause[0] < f.speech_end_s - f.pause[1] - 0.3 for f in paused)  # inside the sentence


def test_mid_sentence_pauses_rarely_end_the_turn_early(rates):
    assert rates["smart_early"] <= SMART_EARLY_GATE, rates["smart_early_texts"]
    assert rates["fixed_early"] >= FIXED_EARLY_FLOOR  # 1.8 s of silence does cut off a 2 s pause


def test_complete_utterances_are_answered_sooner_than_by_the_fixed_rule(rates):
    assert rates["smart_fast"] >= SMART_FAST_GATE
    smart, fixed = rates["smart_waits_s"], rates["fixed_waits_s"]
    assert None not in smart and sum(smart) < sum(fixed)  # every turn ends; on average sooner
    assert sorted(smart)[int(SMART_FAST_GATE * len(smart)) - 1] <= 0.5  # those end at the short pause


# On espeak-ng speech (README, phone figures) the smart rule ends 4 of 36 mid-sentence pauses early (11%) on an
# Intel Xeon and on an AMD EPYC, the fixed rule 8 of 36 (22%); the smart rule ends 8 (Xeon) or 10 (EPYC) of 24
# complete utterances at the short pause. Gates: two more early ends, one fewer fast end than measured.
SMART_EARLY_GATE = 0.17
FIXED_EARLY_FLOOR = 0.15
SMART_FAST_GATE = 0.29
