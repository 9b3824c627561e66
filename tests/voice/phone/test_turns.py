"""Endpointing for old callers on real (espeak-ng) speech streamed as 20 ms μ-law frames."""
import pytest

from tests.voice.phone.caller_audio import frames, noise, silence, spoken_mulaw
from voice.phone.turns import (LongSpeech, SpeechOnset, SpeechStarted, TurnDetector, TurnEnded, TurnPaused,
                               TurnSettings)

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
    events = feed(TurnDetector(TurnSettings(end_silence_s=1.8)), silence(0.5) + speech + silence(2.2))
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
    events = feed(TurnDetector(TurnSettings(end_silence_s=1.8)), first + silence(1.5) + second + silence(2.0))
    turns = ended(events)
    assert len(turns) == 1
    assert len(turns[0].mulaw) >= len(first) + len(second)
    # the early transcript of the first half is not taken for the whole turn
    paused = [e for e in events if isinstance(e, TurnPaused)]
    assert len(paused) == 2 and paused[0].voiced_s < turns[0].voiced_s == paused[1].voiced_s


def test_the_end_silence_is_configurable_per_call():
    settings = TurnSettings(end_silence_s=1.8).with_overrides({"endSilenceMs": "1000"})
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
