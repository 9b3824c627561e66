"""Endpointing for old callers on real (espeak-ng) speech streamed as 20 ms μ-law frames."""
import pytest

from tests.voice.phone.caller_audio import frames, noise, silence, spoken_mulaw
from voice.phone.turns import (LongSpeech, PauseCheck, SpeechOnset, SpeechStarted, TurnDetector, TurnEnded,
                               TurnPaused, TurnSettings)

SENTENCE = "我想查一下下次交费是什么时候"


def feed(detector, mulaw):
    events = []
    for frame in frames(mulaw):
        events += detector.feed(frame)
    return events


def ended(events):
    return [e for e in events if isinstance(e, TurnEnded)]


def test_a_sentence_followed_by_silence_is_one_turn():
    speech = spoken_mulaw(SENTENCE, "zh")
    events = feed(TurnDetector(TurnSettings(end_silence_s=1.8, smart_turn=False)), silence(0.5) + speech + silence(2.2))
    assert [type(e) for e in events] == [SpeechOnset, SpeechStarted, LongSpeech, TurnPaused, TurnEnded]
    turn = ended(events)[0]
    # ASR may start at the early pause: nothing was said after it, so it is the same turn
    assert (events[3].mulaw, events[3].voiced_s) == (turn.mulaw, turn.voiced_s)
    assert turn.reason == "silence"
    assert 0.6 * len(speech) / 8000 < turn.voiced_s <= len(speech) / 8000 + 0.2
    # the trailing silence is trimmed before ASR
    assert len(turn.mulaw) < len(speech) + 0.8 * 8000


def test_a_pause_of_one_and_a_half_seconds_inside_a_sentence_does_not_end_the_turn():
    first, second = spoken_mulaw("我想查一下", "zh"), spoken_mulaw("下次交费是什么时候", "zh")
    fixed = TurnSettings(end_silence_s=1.8, smart_turn=False)
    events = feed(TurnDetector(fixed), first + silence(1.5) + second + silence(2.0))
    turns = ended(events)
    assert len(turns) == 1
    assert len(turns[0].mulaw) >= len(first) + len(second)
    # the early transcript of the first half is not taken for the whole turn
    paused = [e for e in events if isinstance(e, TurnPaused)]
    assert len(paused) == 2 and paused[0].voiced_s < turns[0].voiced_s == paused[1].voiced_s


def test_the_end_silence_is_configurable_per_call():
    settings = TurnSettings(end_silence_s=1.8, smart_turn=False).with_overrides({"endSilenceMs": "1000"})
    assert settings.end_silence_s == 1.0
    events = feed(TurnDetector(settings), spoken_mulaw("我想查一下", "zh") + silence(1.5) + spoken_mulaw("保费", "zh"))
    assert len(ended(events)) == 1  # the 1.5 s pause ended the first turn


def test_a_turn_that_never_goes_quiet_is_cut_at_the_hard_limit():
    speech = spoken_mulaw("When is my next premium due? I would like to know the amount and the date.", "en")
    events = feed(TurnDetector(TurnSettings(max_turn_s=2.0)), speech)
    assert ended(events) and ended(events)[0].reason == "max_length"


def test_silence_and_line_noise_are_never_a_turn():
    detector = TurnDetector()
    assert feed(detector, silence(3.0) + noise(4.0) + noise(2.0, level=0.2) + silence(2.0)) == []
    assert not detector.in_turn


@pytest.mark.parametrize("word, language", [("嗯", "zh"), ("对", "zh"), ("好的", "zh"), ("OK", "en")])
def test_a_backchannel_has_an_onset_and_a_pause_but_is_not_long_speech(word, language):
    events = feed(TurnDetector(), spoken_mulaw(word, language) + silence(2.0))
    assert SpeechOnset() in events and LongSpeech() not in events
    # the pause after it comes even when it is too short to be a turn: the bot may resume then
    assert any(isinstance(e, TurnPaused) for e in events)
    assert len(ended(events)) <= 1


def test_speech_onset_comes_within_a_fifth_of_a_second_of_the_first_sound():
    lead = silence(0.5)
    detector, heard_at = TurnDetector(), None
    for index, frame in enumerate(frames(lead + spoken_mulaw("我想查一下", "zh"))):
        if SpeechOnset() in detector.feed(frame):
            heard_at = (index + 1) * len(frame) / 8000 - len(lead) / 8000
            break
    assert heard_at is not None and heard_at <= 0.25


SMART = TurnSettings(smart_turn=True, pause_s=0.25, unfinished_silence_s=2.2)


def feed_until_check(detector, mulaw):
    """Feed frames until the detector asks whether the turn is complete; (check, frames fed)."""
    for index, frame in enumerate(frames(mulaw)):
        checks = [e for e in detector.feed(frame) if isinstance(e, PauseCheck)]
        if checks:
            return checks[0], index + 1
    return None, None


def test_a_short_pause_asks_the_turn_model_and_a_yes_ends_the_turn_at_once():
    speech = spoken_mulaw(SENTENCE, "zh")
    detector = TurnDetector(SMART)
    check, fed = feed_until_check(detector, silence(0.5) + speech + silence(3.0))
    heard_pause = fed * 0.02 - 0.5 - len(speech) / 8000
    assert check is not None and 0.2 <= heard_pause <= 0.5  # the short pause, not the elder's allowance
    assert len(check.mulaw) >= 0.9 * len(speech)  # the model hears the whole turn and the pause
    turn = ended(detector.end_now(check))[0]
    assert turn.reason == "complete" and turn.voiced_s == check.voiced_s
    assert not detector.in_turn and feed(detector, silence(3.0)) == []  # nothing more ends it
    assert detector.end_now(check) == []  # a late second answer ends nothing


def test_a_yes_that_comes_after_the_caller_spoke_again_ends_nothing():
    first, second = spoken_mulaw("我想查一下", "zh"), spoken_mulaw("下次交费是什么时候", "zh")
    detector = TurnDetector(SMART)
    check, _ = feed_until_check(detector, first + silence(1.5))
    feed(detector, silence(0.3) + second)
    assert detector.end_now(check) == [] and detector.in_turn


def test_an_unfinished_turn_waits_for_the_elders_allowance():
    first, second = spoken_mulaw("我想查一下", "zh"), spoken_mulaw("下次交费是什么时候", "zh")
    events = feed(TurnDetector(SMART), first + silence(2.0) + second + silence(2.5))
    assert len([e for e in events if isinstance(e, PauseCheck)]) == 2  # one per pause, unanswered here
    turns = ended(events)
    assert len(turns) == 1 and turns[0].reason == "silence" and len(turns[0].mulaw) >= len(first) + len(second)


def test_the_carrier_can_turn_the_model_off_for_a_call():
    assert not SMART.with_overrides({"smartTurn": "off"}).smart_turn
    assert SMART.with_overrides({"smartTurn": "maybe"}).smart_turn
    fixed = SMART.with_overrides({"smartTurn": "off"})
    events = feed(TurnDetector(fixed), spoken_mulaw(SENTENCE, "zh") + silence(2.0))
    assert not any(isinstance(e, PauseCheck) for e in events) and ended(events)[0].reason == "silence"
