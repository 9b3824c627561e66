"""The transcription step alone, on real espeak-ng speech and real Whisper: one pass per turn when nothing follows."""
import asyncio

from tests.voice.hearing import assert_heard
from tests.voice.phone.caller_audio import frames, silence, spoken_mulaw
from tests.voice.phone.processors import Recorder, call_state, settle
from voice.phone.frames import CallerAudio, CallerTurn, EarlyTranscript
from voice.phone.pipeline import Pipeline
from voice.phone.playback import Playback
from voice.phone.transcription import Transcription
from voice.phone.turn_taking import TurnTaking
from voice.phone.turns import TurnEnded, TurnSettings

SENTENCE = "我想查一下下次交费是什么时候"
FIXED = TurnSettings(end_silence_s=1.8, smart_turn=False)


async def run(mulaw: bytes, paused_prompt: bool = False) -> tuple:
    call = call_state(FIXED, [])
    playback = Playback(call)
    if paused_prompt:  # the bot was paused for this burst: barge-in must learn what it was
        playback.held = [("zh-Hans", "请问您要办理什么业务？")]
    turns, recorder = TurnTaking(call), Recorder()
    transcription = Transcription(call, playback)
    pipeline = Pipeline([turns, transcription, recorder])
    await turns.start({})
    for chunk in frames(mulaw):
        await pipeline.put(CallerAudio(chunk))
    await settle(call)
    texts = [await transcription.transcript(turn) for turn in recorder.of(CallerTurn)]
    return recorder, texts


def test_the_transcript_started_at_the_pause_is_the_turns_when_nothing_follows():
    recorder, texts = asyncio.run(run(silence(0.5) + spoken_mulaw(SENTENCE, "zh") + silence(2.2)))
    early, turns = recorder.of(EarlyTranscript), recorder.of(CallerTurn)
    assert len(early) == 1 and len(turns) == 1
    assert turns[0].early is early[0].transcript  # no second Whisper pass
    assert recorder.of(TurnEnded) == []  # the ended turn travels on as the caller's turn
    assert_heard(texts[0], SENTENCE)


def test_speech_after_the_pause_gets_a_transcript_of_the_whole_turn():
    first, second = spoken_mulaw("我想查一下", "zh"), spoken_mulaw("下次交费是什么时候", "zh")
    recorder, texts = asyncio.run(run(first + silence(1.2) + second + silence(2.2)))
    turns = recorder.of(CallerTurn)
    assert len(turns) == 1 and len(recorder.of(EarlyTranscript)) == 2
    # the early transcript of the second pause covers the whole turn: it is the one reused
    assert turns[0].early is recorder.of(EarlyTranscript)[1].transcript
    assert_heard(texts[0], "我想查一下下次交费是什么时候")


def test_a_burst_too_short_for_a_turn_is_transcribed_only_if_it_paused_the_bot():
    burst = silence(0.5) + spoken_mulaw("嗯", "zh") + silence(2.2)  # about 0.15 s of voice: not a turn
    recorder, _ = asyncio.run(run(burst))
    assert recorder.of(EarlyTranscript) == [] and recorder.of(CallerTurn) == []  # a cough: no Whisper pass
    recorder, _ = asyncio.run(run(burst, paused_prompt=True))
    assert len(recorder.of(EarlyTranscript)) == 1 and recorder.of(CallerTurn) == []
