"""The keypad step alone: keys and the caller's audio clock in, the text for the bot out."""
import asyncio

from actions.service.constants import HUMAN_PAYLOAD
from tests.voice.phone.caller_audio import frames, silence
from tests.voice.phone.processors import Recorder, call_state, settle
from voice.phone.frames import CallerAudio, KeyPressed
from voice.phone.keypad import DIGIT_TIMEOUT_S, Keypad
from voice.phone.pipeline import Pipeline
from voice.phone.playback import Playback
from voice.phone.turns import TurnSettings


async def run(script: list, offer: dict = None) -> tuple:
    """Keys (one-character str) and silence (float seconds) through [Keypad, Recorder]; returns what the bot got."""
    call = call_state(TurnSettings(smart_turn=False), [])
    heard = []

    async def answer(text: str) -> None:
        heard.append(text)

    keypad, recorder = Keypad(call, Playback(call), answer), Recorder()
    keypad.offer(offer or {})
    pipeline = Pipeline([keypad, recorder])
    for part in script:
        if isinstance(part, str):
            await pipeline.put(KeyPressed(part))
        else:
            for chunk in frames(silence(part)):
                call.audio_clock += len(chunk) / 8000  # the session keeps the clock
                await pipeline.put(CallerAudio(chunk))
        await settle(call)
    return heard, call, recorder


def test_typed_digits_are_sent_on_the_hash_key():
    heard, _, recorder = asyncio.run(run(["1", "1", "0", "1", "#"]))
    assert heard == ["1101"]  # a 0 inside typed digits is a digit, not a person
    assert len(recorder.of(KeyPressed)) == 5  # keys go on to the later steps (they forget the turn)


def test_typed_digits_are_sent_after_a_pause_on_the_audio_clock():
    heard, _, _ = asyncio.run(run(["4", "2", DIGIT_TIMEOUT_S - 0.5]))
    assert heard == []
    heard, _, _ = asyncio.run(run(["4", "2", DIGIT_TIMEOUT_S + 0.1]))
    assert heard == ["42"]


def test_zero_asks_for_a_person_and_a_menu_key_sends_its_payload():
    heard, call, _ = asyncio.run(run(["0"]))
    assert heard == [HUMAN_PAYLOAD] and call.handoff_requested
    heard, _, _ = asyncio.run(run(["2"], offer={"1": "/affirm", "2": "/deny"}))
    assert heard == ["/deny"]
