"""The bot server goes away mid-call: the caller hears an apology, then reaches a person, never silence.

A whole call session on real (espeak-ng) caller speech, real Whisper, real synthesized prompts and
the real SQLite service database. The bot server's part is the call's two hooks (the seam the
channel or a gateway fills): while the "server" is down they raise BotUnavailable, as a hook does
when it cannot reach Rasa, and once it is back they answer.
"""
import asyncio
import base64
import json
import re

import pytest

from actions.service.constants import HUMAN_PAYLOAD
from actions.service.core.db import session_scope
from actions.service.core.models import CallbackTask, HandoffTicket
from actions.service.human_lane.handoff import CALLBACK, ticket_detail, ticket_messages
from tests.voice.phone.caller_audio import FRAME, TURN_TAIL_S, frames, silence, spoken_mulaw
from tests.voice.phone.test_phone_calls import same_speech
from voice.phone import prompts
from voice.phone.bot_outage import REASON
from voice.phone.call import LEAD_SILENCE_S, BotReply, CallHooks, CallSession, render_speech, spoken_sentences
from voice.phone.call_state import BotUnavailable
from voice.phone.twilio import TwilioSerializer

ANSWER = {"zh-Hans": "您的下次交费日是六月一日。", "en": "Your next premium is due on the first of June."}
UNKNOWN_CALLER = "+86 139 5555 0101"  # no customer has this number: the language menu, in Mandarin
EMILY = "13700000003"  # Emily Li, a demo customer who speaks English


class Bot:
    """The bot server as the call's hooks see it: unreachable while `down`, else it answers."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.down = True
        self.broken = False  # reachable, but the turn fails inside it (an action's bug, say)
        self.heard = []  # what reached the bot while it was up

    async def bot_turn(self, sender: str, text: str, metadata: dict) -> BotReply:
        if self.down:
            raise BotUnavailable("connection refused")
        if self.broken:
            raise RuntimeError("the turn failed inside the bot")
        self.heard.append(text)
        return BotReply([{"text": ANSWER[self.language]}], self.language)

    async def set_slots(self, sender: str, slots: dict) -> None:
        if self.down:
            raise BotUnavailable("connection refused")


class Call:
    """A call session whose carrier plays every sentence at once (its marks echoed) and keeps what was sent."""

    def __init__(self, bot: Bot, caller: str, sid: str) -> None:
        self.sent, self.sid, self.caller = [], sid, caller
        self.stream = "MZ" + sid[2:]

        async def send(message):
            self.sent.append(json.loads(message))

        self.session = CallSession(TwilioSerializer(), send, CallHooks(bot.bot_turn, bot.set_slots), token="t")

    async def message(self, event: str, **body) -> None:
        await self.session.handle(json.dumps({"event": event, "streamSid": self.stream, **body}))

    async def start(self) -> None:
        await self.message("start", start={
            "streamSid": self.stream, "callSid": self.sid, "customParameters": {"token": "t", "caller": self.caller},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}})
        await self.reply_after(0)

    def events(self, kind: str, since: int = 0) -> list:
        return [m for m in self.sent[since:] if m["event"] == kind]

    def audio(self, since: int = 0) -> bytes:
        return b"".join(base64.b64decode(m["media"]["payload"]) for m in self.events("media", since))

    async def line(self, seconds: float) -> None:
        """The caller's line while nobody speaks: silence, and the marks of what was sent echoed as played."""
        for chunk in frames(silence(seconds)):
            await self.message("media", media={"track": "inbound", "payload": base64.b64encode(chunk).decode()})
        echoed = self.__dict__.setdefault("echoed", set())
        for mark in self.events("mark"):
            if mark["mark"]["name"] not in echoed:
                echoed.add(mark["mark"]["name"])
                await self.message("mark", mark=mark["mark"])

    async def reply_after(self, since: int, timeout: float = 120) -> bytes:
        """Until the call has said a whole reply after message `since` (it went quiet after a mark)."""
        quiet = 0
        for _ in range(int(timeout / 0.05)):
            count = len(self.sent)
            await self.line(0.04)
            await asyncio.sleep(0.05)
            quiet = quiet + 1 if len(self.sent) == count and self.events("mark", since) else 0
            if quiet >= 20 and not self.session.call.tasks:
                return self.audio(since)
        raise AssertionError(f"no whole reply; sent {[m['event'] for m in self.sent[since:]][-10:]}")

    async def say(self, text: str, language: str) -> bytes:
        """The caller says `text` (then the line is quiet); returns the audio of the call's answer."""
        since = len(self.sent)
        for chunk in frames(silence(0.3) + spoken_mulaw(text, language) + silence(TURN_TAIL_S)):
            await self.message("media", media={"track": "inbound", "payload": base64.b64encode(chunk).decode()})
            await asyncio.sleep(0.002)  # the call's tasks (ASR, the bot turn, TTS) run between frames
        return await self.reply_after(since)

    async def press(self, digit: str) -> bytes:
        since = len(self.sent)
        await self.message("dtmf", dtmf={"track": "inbound_track", "digit": digit})
        return await self.reply_after(since)


def spoken_as(audio: bytes, texts, language: str) -> bool:
    """The call's audio is `texts` (one message or several) said in `language`, every sentence, as Playback
    sends it: a short pause first, each sentence padded to whole 20 ms frames (waveforms compared, not bytes)."""
    expected = b""
    sentences = [sentence for text in ([texts] if isinstance(texts, str) else texts)
                 for sentence in spoken_sentences(text)]
    for index, sentence in enumerate(sentences):
        speech = (b"\xff" * int(LEAD_SILENCE_S * 8000) if index == 0 else b"") + render_speech(sentence, language)
        expected += speech.ljust(-(-len(speech) // FRAME) * FRAME, b"\xff")
    return len(audio) == len(expected) and same_speech(audio, expected, seconds=len(expected) / 8000)


def tickets(sender: str) -> list:
    with session_scope() as session:
        return [(t.id, t.status, t.reason, t.caller_phone) for t in
                session.query(HandoffTicket).filter(HandoffTicket.sender_id == sender).all()]


def callbacks(reference: str) -> list:
    with session_scope() as session:
        return [(c.phone, c.reason) for c in session.query(CallbackTask).filter(CallbackTask.subject == reference)]


def spoken_ticket(phrase: str, reference: str, language: str) -> str:
    return prompts.text(phrase, language, ticket=prompts.spoken_reference(reference, language))


def test_the_ticket_reference_is_read_one_character_at_a_time():
    assert prompts.spoken_reference("H000042", "zh-Hans") == "H、零、零、零、零、四、二"
    assert prompts.spoken_reference("H000042", "en") == "H, zero, zero, zero, zero, four, two"
    # a reference is one sentence for the speech engine (it is not cut in the middle)
    assert len(spoken_sentences(spoken_ticket("callback_ticket", "H000042", "yue"))) == 4


def test_mandarin_caller_hears_an_apology_then_a_call_back_ticket_then_the_bot_again(demo_db, caplog):
    caplog.set_level("INFO")
    bot = Bot("zh-Hans")
    sid = "CAoutage0001"

    async def scenario():
        call = Call(bot, UNKNOWN_CALLER, sid)
        await call.start()
        heard = {"apology": await call.say("我想查一下下次交费是什么时候", "zh")}
        heard["tickets_after_apology"] = tickets(sid)
        heard["ticket"] = await call.say("我要交保费", "zh")  # still down: a person is called in
        heard["again"] = await call.press("0")  # 0 once more: the same ticket, its number again
        bot.down = False
        heard["back"] = await call.say("我想查一下下次交费是什么时候", "zh")
        heard["failures"] = call.session.bot.failures
        return heard

    heard = asyncio.run(scenario())
    apology = [prompts.text("bot_busy", "zh-Hans"), prompts.text("human_option", "zh-Hans")]
    assert spoken_as(heard["apology"], apology, "zh-Hans")  # and the 0 for a person
    assert heard["tickets_after_apology"] == []  # one turn lost: an apology, no ticket yet

    [(ticket_id, status, reason, caller_phone)] = tickets(sid)  # exactly one, after a second 0 too
    assert (status, reason, caller_phone) == (CALLBACK, REASON, "861****0101")  # the number masked
    reference = f"H{ticket_id:06d}"
    assert callbacks(reference) == [("+8613955550101", REASON)]  # the number staff call back, in full
    said = [text for who, text in ticket_detail(ticket_id).transcript if who == "customer"]
    assert len(said) == 2 and all(re.search(r"[\u4e00-\u9fff]", text) for text in said)  # both turns, as heard
    expected = spoken_ticket("callback_ticket", reference, "zh-Hans")
    assert spoken_as(heard["ticket"], expected, "zh-Hans") and spoken_as(heard["again"], expected, "zh-Hans")

    assert len(bot.heard) == 1 and bot.heard[0] != HUMAN_PAYLOAD  # the bot is back: the caller's words reach it
    assert spoken_as(heard["back"], ANSWER["zh-Hans"], "zh-Hans")
    assert heard["failures"] == 0  # the outage was never counted as the caller not being understood
    assert "5555" not in caplog.text and "861****0101" in caplog.text  # the caller's number only masked in logs


def test_english_caller_presses_0_while_the_bot_is_down_and_gets_one_ticket(demo_db):
    bot = Bot("en")
    sid = "CAoutage0002"

    async def scenario():
        call = Call(bot, EMILY, sid)  # the number's prefill fails too (the bot is down): the call goes on
        await call.start()
        heard = {"ticket": await call.press("0")}  # a person at once, while the bot cannot be reached
        heard["again"] = await call.say("When is my next premium due?", "en")  # still down: the same ticket
        bot.down = False
        heard["back"] = await call.say("When is my next premium due?", "en")
        return heard

    heard = asyncio.run(scenario())
    [(ticket_id, status, reason, _)] = tickets(sid)
    assert (status, reason) == (CALLBACK, REASON)
    reference = f"H{ticket_id:06d}"
    assert callbacks(reference) == [(EMILY, REASON)]
    expected = spoken_ticket("callback_ticket", reference, "en")
    assert spoken_as(heard["ticket"], expected, "en") and spoken_as(heard["again"], expected, "en")
    # what was said after the ticket opened is added to it for the person who calls back
    lines = [m.text for m in ticket_messages(ticket_id) if m.author == "customer"]
    assert len(lines) == 1 and re.search(r"[a-z]", lines[0], re.I)
    assert len(bot.heard) == 1 and spoken_as(heard["back"], ANSWER["en"], "en")


@pytest.mark.parametrize("language", ["zh-Hant", "yue", "en", "zh-Hans"])
def test_every_language_has_the_outage_phrases(language):
    for phrase in ("bot_busy", "callback_ticket", "ticket_call_again"):
        assert prompts._TEXT[phrase][language]  # said in the call's own language, not a fallback
        spoken = prompts.text(phrase, language, ticket=prompts.spoken_reference("H000001", language))
        assert all(len(sentence) <= 40 for sentence in spoken_sentences(spoken) if "H" not in sentence)


def test_a_turn_that_fails_inside_the_bot_is_still_met_with_not_heard_and_no_ticket(demo_db):
    bot = Bot("zh-Hans")
    bot.down, bot.broken = False, True
    sid = "CAoutage0003"

    async def scenario():
        call = Call(bot, UNKNOWN_CALLER, sid)
        await call.start()
        return await call.say("我想查一下下次交费是什么时候", "zh")

    assert spoken_as(asyncio.run(scenario()), prompts.text("not_heard", "zh-Hans"), "zh-Hans")
    assert tickets(sid) == []
