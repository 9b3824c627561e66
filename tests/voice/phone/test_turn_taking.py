"""The turn-taking step alone, on real espeak-ng speech: turn events pushed ahead of the audio that made them."""
import asyncio

from tests.voice.phone.caller_audio import frames, silence, spoken_mulaw
from tests.voice.phone.processors import Recorder, call_state, settle
from voice.phone.frames import CallerAudio, CallerTurn, KeyPressed
from voice.phone.pipeline import Pipeline
from voice.phone.smart_turn import smart_turn_model
from voice.phone.transcription import Transcription
from voice.phone.playback import Playback
from voice.phone.turn_taking import TurnTaking
from voice.phone.turns import (LongSpeech, SpeechOnset, SpeechStarted, TurnDetector, TurnEnded, TurnPaused,
                               TurnSettings)

SENTENCE = "我想查一下下次交费是什么时候"
FIXED = TurnSettings(end_silence_s=1.8, smart_turn=False)


async def run(settings: TurnSettings, script: list) -> tuple:
    """Feed the script (μ-law bytes, or a key as a one-character str) through [TurnTaking, Recorder]."""
    call = call_state(settings, [])
    turns, recorder = TurnTaking(call), Recorder()
    pipeline = Pipeline([turns, recorder])
    await turns.start({})
    for part in script:
        if isinstance(part, str):
            await pipeline.put(KeyPressed(part))
            continue
        for chunk in frames(part):
            await pipeline.put(CallerAudio(chunk))
    await settle(call)
    return turns, recorder


def test_a_sentence_becomes_turn_events_each_ahead_of_the_frame_that_made_it():
    audio = silence(0.5) + spoken_mulaw(SENTENCE, "zh") + silence(2.2)
    turns, recorder = asyncio.run(run(FIXED, [audio]))
    events = [frame for frame in recorder.frames if not isinstance(frame, CallerAudio)]
    assert [type(e) for e in events] == [SpeechOnset, SpeechStarted, LongSpeech, TurnPaused, TurnEnded]
    # every caller frame still reaches the later steps (the keypad's and the no-input timers run on them)...
    assert len(recorder.of(CallerAudio)) == len(frames(audio))
    # ...each after the events it caused: a frame's timers see the turn as it is after that frame
    detector = TurnDetector(FIXED)
    made_by = [index for index, chunk in enumerate(frames(audio)) for _ in detector.feed(chunk)]
    audio_before = [sum(isinstance(f, CallerAudio) for f in recorder.frames[:recorder.frames.index(event)])
                    for event in events]
    assert audio_before == made_by
    assert not turns.in_turn and turns.voiced_s == 0


def test_a_key_in_the_middle_of_speech_drops_the_turn_and_goes_on():
    speech = spoken_mulaw(SENTENCE, "zh")
    turns, recorder = asyncio.run(run(FIXED, [silence(0.3) + speech[:len(speech) // 2], "5", silence(2.2)]))
    assert recorder.of(KeyPressed) == [KeyPressed("5")]
    assert recorder.of(TurnEnded) == []


def test_the_turn_model_ends_a_complete_sentence_after_a_short_pause(monkeypatch):
    """Smart turn on, its verdict fixed to complete (the model itself is gated in test_end_of_turn_fixtures.py):
    0.4 s of silence, far from any silence rule, ends the turn, and the words come from real Whisper."""
    monkeypatch.setattr(smart_turn_model(), "complete", lambda pcm16k: True)

    async def scenario():
        call = call_state(TurnSettings(smart_turn=True), [])
        turns, recorder = TurnTaking(call), Recorder()
        transcription = Transcription(call, Playback(call))
        turns.words_so_far = transcription.words_so_far
        pipeline = Pipeline([turns, transcription, recorder])
        await turns.start({})
        for chunk in frames(silence(0.4) + spoken_mulaw(SENTENCE, "zh") + silence(0.4)):
            await pipeline.put(CallerAudio(chunk))
        await settle(call)
        return recorder

    recorder = asyncio.run(scenario())
    turns = recorder.of(CallerTurn)
    assert len(turns) == 1 and turns[0].ended.reason == "complete"
