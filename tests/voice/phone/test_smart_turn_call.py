"""The call's side of smart end of turn, on real espeak-ng speech and real Whisper.

The turn model's verdict is fixed here (its own behaviour on the fixture set is gated in
test_end_of_turn_fixtures.py) to test what the call does with it, counted on the audio clock:
after only a short pause the line sends nothing more, so a turn that reaches the bot then was
ended by the model, never by the silence rule.
"""
import asyncio

import pytest

from tests.voice.hearing import assert_heard
from tests.voice.phone.caller_audio import frames, silence, spoken_mulaw
from tests.voice.phone.test_barge_in import Call
from voice.asr import Transcript
from voice.phone import transcription as transcription_module
from voice.phone.smart_turn import smart_turn_model
from voice.phone.turns import TurnSettings

QUESTION = "我想查一下下次交费是什么时候"
SHORT_PAUSE_S = 0.4  # past the model's 0.25 s pause, far from any silence rule


@pytest.fixture
def verdict(monkeypatch):
    """Set the turn model's verdict for the test; the words still come from Whisper."""
    def set_verdict(complete: bool) -> None:
        monkeypatch.setattr(smart_turn_model(), "complete", lambda pcm16k: complete)
    return set_verdict


async def say_then_pause(call: Call, speech: bytes) -> None:
    for chunk in frames(silence(0.4) + speech + silence(SHORT_PAUSE_S)):
        await call.frame(chunk)
        await asyncio.sleep(0.002)


def test_a_complete_sentence_reaches_the_bot_after_a_short_pause(verdict):
    verdict(True)

    async def scenario():
        call = Call()
        await call.start()
        await call.played(call.events("mark")[0]["mark"]["name"])  # the caller speaks over the rest
        await say_then_pause(call, spoken_mulaw(QUESTION, "zh"))
        await call.until(lambda: call.bot_heard, timeout=60)  # no more audio: only the model can end it
        return call

    call = asyncio.run(scenario())
    assert_heard(call.bot_heard[0], QUESTION)


def test_an_unfinished_sentence_waits_for_the_elders_allowance(verdict):
    verdict(False)

    async def scenario():
        call = Call()
        await call.start()
        await call.played(call.events("mark")[0]["mark"]["name"])  # the caller speaks over the rest
        await say_then_pause(call, spoken_mulaw("我想查一下", "zh"))
        await asyncio.sleep(3.0)  # wall time for any check to come back: nothing may end the turn
        heard_early = list(call.bot_heard)
        for chunk in frames(silence(TurnSettings().unfinished_silence_s)):  # the allowance ends it
            await call.frame(chunk)
        await call.until(lambda: call.bot_heard, timeout=60)
        return heard_early, call

    heard_early, call = asyncio.run(scenario())
    assert heard_early == [] and len(call.bot_heard) == 1


def test_words_that_stop_on_a_filler_hold_the_turn_even_when_the_model_says_complete(verdict, monkeypatch):
    verdict(True)
    monkeypatch.setattr(transcription_module, "transcribe",
                        lambda *args, **kwargs: Transcript("我想查一下那个", "zh"))

    async def scenario():
        call = Call()
        await call.start()
        await call.played(call.events("mark")[0]["mark"]["name"])  # the caller speaks over the rest
        await say_then_pause(call, spoken_mulaw("我想查一下那个", "zh"))
        await asyncio.sleep(3.0)
        return call

    assert asyncio.run(scenario()).bot_heard == []
