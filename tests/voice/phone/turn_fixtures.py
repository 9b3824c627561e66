"""Elders' pauses on the phone (issue 17): utterances with a 1.0–2.0 s pause inside an unfinished
sentence, and complete utterances, in Mandarin, Cantonese and English, as 8 kHz μ-law.

Made at test time, deterministically: a text-to-speech voice (tests/voice/voices.py: by default
the most natural one installed for each language, else espeak-ng) reads each sentence whole, with a
comma where the caller hesitates, so the first half has the continuing intonation of a sentence that
goes on; the comma's short gap is then stretched to the pause. `replay` streams a fixture through the
turn detector frame by frame, as the carrier does, and answers each PauseCheck with the call's own
rule (voice/phone/smart_turn.py).
"""
from __future__ import annotations

import asyncio
import audioop
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, List, Optional, Tuple

import numpy as np

from tests.voice.phone.caller_audio import FRAME, SILENCE
from tests.voice.voices import VOICES, natural_voice, said
from voice.audio import pcm16k_to_mulaw8k
from voice.phone.smart_turn import judge_pause, smart_turn_model
from voice.phone.turns import PauseCheck, SpeechDetector, TurnDetector, TurnEnded, TurnSettings

PAUSES_S = (1.0, 1.25, 1.5, 1.75, 2.0)
TAIL_S = 3.0  # silence after the last word: longer than any rule waits
QUIET = 0.01
NEAR_COMMA_S = 0.4  # the comma's pause starts this close to where the words before it end said alone

# (language, sentence with one comma where the caller pauses mid-sentence)
PAUSED = [
    ("zh", "我想查一下那个，下次交费是什么时候。"), ("zh", "我的保单，是不是下个月到期。"), ("zh", "我想问一下就是，理赔要多久。"),
    ("zh", "我上个月交的保费，还没有扣款。"), ("zh", "然后我想知道，怎么申请电子发票。"), ("zh", "请帮我查一下我的，保单贷款。"),
    ("zh", "我家老伴住院了然后，想报个案。"), ("zh", "我想把扣款的银行卡，换成另外一张。"), ("zh", "你们那个宽限期，有多少天。"),
    ("zh", "我要找一个，人工客服。"), ("zh", "我年纪大了眼睛不好所以，想听电话。"), ("zh", "我想改一下，我的联系电话。"),
    ("yue", "我想問下嗰個，幾時要交保費。"), ("yue", "我張保單，係咪下個月到期。"), ("yue", "我想問下即係，理賠要幾耐。"),
    ("yue", "我上個月交嘅保費，仲未扣數。"), ("yue", "跟住我想知道，點樣申請電子發票。"), ("yue", "幫我查下我張，保單貸款。"),
    ("yue", "我老公入咗醫院同埋，想報案。"), ("yue", "我想換過，扣款嘅銀行卡。"), ("yue", "你哋嗰個寬限期，有幾多日。"),
    ("yue", "我想搵個，真人幫下我。"), ("yue", "我想改下，我嘅聯絡電話。"), ("yue", "唔該幫我睇下，我張保單。"),
    ("en", "I would like to check the, date of my next premium."), ("en", "My policy is due and, I want to renew it."),
    ("en", "Could you tell me um, how long a claim takes."), ("en", "I paid my premium last month but, it was not taken."),
    ("en", "I need an invoice for, my tax return."), ("en", "Can you please check my, policy loan."),
    ("en", "My husband is in hospital and, I want to report a claim."), ("en", "I want to change the bank card, for my premium."),
    ("en", "How many days is the, grace period."), ("en", "I would like to speak to, a real person."),
    ("en", "I am old and my eyes are weak so, I prefer the phone."), ("en", "I want to update, my phone number."),
]
COMPLETE = [
    ("zh", "我想查一下下次交费是什么时候。"), ("zh", "我的保单什么时候到期？"), ("zh", "我要报案。"), ("zh", "请帮我转人工。"),
    ("zh", "电子发票怎么开？"), ("zh", "谢谢你。"), ("zh", "宽限期有多少天？"), ("zh", "我想换一张银行卡。"),
    ("yue", "我想問下幾時要交保費。"), ("yue", "我張保單幾時到期？"), ("yue", "我要報案。"), ("yue", "唔該幫我轉真人。"),
    ("yue", "電子發票點樣開？"), ("yue", "多謝晒。"), ("yue", "寬限期有幾多日？"), ("yue", "我想換張銀行卡。"),
    ("en", "When is my next premium due?"), ("en", "I want to report a claim."), ("en", "Please put me through to a person."),
    ("en", "How do I get an electronic invoice?"), ("en", "Thank you very much."), ("en", "How long is the grace period?"),
    ("en", "I would like to change my bank card."), ("en", "My policy number is on the letter."),
]


@dataclass(frozen=True)
class Fixture:
    language: str
    text: str
    voice: str  # which text-to-speech voice said it (tests/voice/voices.py)
    mulaw: bytes  # the utterance and TAIL_S of silence
    speech_end_s: float  # where the last word ends
    pause: Optional[Tuple[float, float]] = None  # (start, length) of the mid-sentence pause, in seconds


NATURAL = "natural"  # the most natural voice installed for each language


@lru_cache(maxsize=None)
def fixtures(voice: str = NATURAL) -> List[Fixture]:
    """The set in `voice` (a name in VOICES: only the languages it speaks), by default each language
    in its most natural voice."""
    made = []
    for index, (language, text) in enumerate(PAUSED):
        if _speaks(voice, language):
            made.append(_with_pause(language, text, _voice(voice, language), PAUSES_S[index % len(PAUSES_S)]))
    for language, text in COMPLETE:
        if _speaks(voice, language):
            mulaw = _spoken_mulaw(language, text, _voice(voice, language))
            made.append(Fixture(language, text, _voice(voice, language), mulaw + SILENCE * int(TAIL_S * 8000),
                                len(mulaw) / 8000))
    return made


def _speaks(voice: str, language: str) -> bool:
    return voice == NATURAL or language in VOICES[voice].languages


def _voice(voice: str, language: str) -> str:
    return natural_voice(language) if voice == NATURAL else voice


def _spoken_mulaw(language: str, text: str, voice: str) -> bytes:
    audio, rate = said(text, language, voice)
    return pcm16k_to_mulaw8k(audio, rate)


def _with_pause(language: str, text: str, voice: str, pause_s: float) -> Fixture:
    mulaw = _spoken_mulaw(language, text, voice)
    # where the comma falls: about where the words before it end when said alone
    before = _spoken_mulaw(language, text.split("，" if "，" in text else ",")[0], voice)
    start, end = _comma_gap(mulaw, len(before))
    stretched = mulaw[:start] + SILENCE * int(pause_s * 8000) + mulaw[end:]
    return Fixture(language, text, voice, stretched + SILENCE * int(TAIL_S * 8000), len(stretched) / 8000,
                   (start / 8000, pause_s))


def _comma_gap(mulaw: bytes, expected: int) -> Tuple[int, int]:
    """(start, end) byte offsets of the comma's pause: the longest quiet run (5 ms steps) that starts
    within NEAR_COMMA_S of `expected`. Voices pause 0.05-0.4 s at a comma; a stop consonant's closure
    elsewhere in the sentence can be as long, hence the window."""
    linear = np.abs(np.frombuffer(audioop.ulaw2lin(mulaw, 2), dtype="<i2").astype(np.float32) / 32768.0)
    step = 40
    quiet = [linear[i:i + step].max() <= QUIET for i in range(0, linear.size - step + 1, step)]
    near = NEAR_COMMA_S * 8000 / step
    best, run_start = (0, 0), None
    for index, still in enumerate(quiet + [False]):
        if still and run_start is None:
            run_start = index
        elif not still and run_start is not None:
            if index - run_start > best[1] - best[0] and run_start > 0 and abs(run_start - expected / step) <= near:
                best = (run_start, index)
            run_start = None
    assert best[1] - best[0] >= 8, "no comma pause found"  # 40 ms
    return best[0] * step, best[1] * step


@dataclass
class Outcome:
    ended_at_s: Optional[float]  # audio time of the first TurnEnded (None: the turn never ended)
    reason: str
    inference_ms: List[float]

    def early(self, fixture: Fixture) -> bool:
        """The turn ended before the caller's last word (in a mid-sentence pause)."""
        return self.ended_at_s is not None and self.ended_at_s < fixture.speech_end_s - 0.1

    def wait_s(self, fixture: Fixture) -> Optional[float]:
        return None if self.ended_at_s is None else self.ended_at_s - fixture.speech_end_s


def replay(fixture: Fixture, settings: TurnSettings, words=None) -> Outcome:
    """Stream the fixture at the audio clock; PauseChecks answered by judge_pause before the next frame.

    `words(pcm16k, language)` gives the transcript for the veto (Whisper, like a call); None skips it.
    """
    detector, inference = TurnDetector(settings, _RecordedVad(_vad(fixture))), []
    for index in range(0, len(fixture.mulaw), FRAME):
        events = detector.feed(fixture.mulaw[index:index + FRAME])
        for check in [e for e in events if isinstance(e, PauseCheck)]:
            events += _answer(detector, check, fixture.language, words, inference)
        ended = [e for e in events if isinstance(e, TurnEnded)]
        if ended:
            return Outcome((index + FRAME) / 8000, ended[0].reason, inference)
    return Outcome(None, "", inference)


def early_end_rates(words=None, voice: str = NATURAL, language: Optional[str] = None) -> dict:
    """Both rules on every fixture (of `language`, if given): early-end rates in mid-sentence pauses,
    and how long complete utterances wait after their last word (audio time)."""
    smart, fixed = TurnSettings(smart_turn=True), TurnSettings(smart_turn=False)
    chosen = [f for f in fixtures(voice) if language in (None, f.language)]
    paused = [f for f in chosen if f.pause]
    complete = [f for f in chosen if not f.pause]
    smart_paused = [replay(f, smart, words) for f in paused]
    smart_complete = [replay(f, smart, words) for f in complete]
    fixed_complete = [replay(f, fixed) for f in complete]
    waits = lambda outcomes: [o.wait_s(f) for o, f in zip(outcomes, complete)]  # noqa: E731
    return {
        "paused": len(paused), "complete": len(complete),
        "smart_early": sum(o.early(f) for o, f in zip(smart_paused, paused)) / len(paused),
        "fixed_early": sum(replay(f, fixed).early(f) for f in paused) / len(paused),
        "smart_early_texts": [f.text for o, f in zip(smart_paused, paused) if o.early(f)],
        "smart_fast": sum(o.reason == "complete" for o in smart_complete) / len(complete),
        "smart_waits_s": waits(smart_complete), "fixed_waits_s": waits(fixed_complete),
    }


@lru_cache(maxsize=None)
def _vad(fixture: Fixture) -> tuple:
    """Silero's answers for each frame of the fixture, computed once: every rule replays the same VAD."""
    detector = SpeechDetector()
    linear = np.frombuffer(audioop.ulaw2lin(fixture.mulaw, 2), dtype="<i2").astype(np.float32) / 32768.0
    return tuple(tuple(detector.feed(linear[i:i + FRAME])) for i in range(0, linear.size, FRAME))


class _RecordedVad:
    def __init__(self, answers: tuple) -> None:
        self._answers = iter(answers)

    def feed(self, linear8k: np.ndarray) -> List[float]:
        return list(next(self._answers))


def _answer(detector: TurnDetector, check: PauseCheck, language: str, words, inference: List[float]) -> list:
    async def text() -> str:
        return words(check.pcm16k(), language)

    started = time.perf_counter()
    if words is None:  # the model alone
        complete = smart_turn_model().complete(check.pcm16k())
    else:
        complete = asyncio.run(judge_pause(check.pcm16k(), text))
    inference.append((time.perf_counter() - started) * 1000)
    return detector.end_now(check) if complete else []


@dataclass(frozen=True)
class PauseEvidence:
    """What the smart rule knows at one short pause of a fixture: the model's probability and the words."""

    fixture: Fixture
    at_s: float  # audio time of the check
    probability: float
    words: str

    @property
    def finished(self) -> bool:
        """The pause follows the caller's last word (else it is inside the sentence)."""
        return self.at_s >= self.fixture.speech_end_s - 0.05


def pause_checks(voice: str = NATURAL) -> Iterator[Tuple[Fixture, float, PauseCheck]]:
    """Every short pause of every fixture: (fixture, audio time of the check, the check)."""
    never_ends = TurnSettings(smart_turn=True, unfinished_silence_s=TAIL_S + 1)
    for fixture in fixtures(voice):
        detector = TurnDetector(never_ends, _RecordedVad(_vad(fixture)))
        for index in range(0, len(fixture.mulaw), FRAME):
            for check in [e for e in detector.feed(fixture.mulaw[index:index + FRAME]) if isinstance(e, PauseCheck)]:
                yield fixture, (index + FRAME) / 8000, check


def pause_evidence(words=None, voice: str = NATURAL) -> List[PauseEvidence]:
    """Every short pause of every fixture with the turn model's probability and (with `words`) the
    transcript so far, for judging the model and the transcript apart from any one rule."""
    model, found = smart_turn_model(), []
    for fixture, at_s, check in pause_checks(voice):
        pcm = check.pcm16k()
        found.append(PauseEvidence(fixture, at_s, model.probability(pcm), words(pcm, fixture.language) if words else ""))
    return found


def separation(finished, unfinished) -> float:
    """Area under the ROC curve: 1.0 tells them apart perfectly, 0.5 is chance."""
    pairs = [(a > b) + 0.5 * (a == b) for a in finished for b in unfinished]
    return sum(pairs) / len(pairs)


def whisper_words(pcm16k: np.ndarray, language: str) -> str:
    from voice.asr import get_recognizer

    return get_recognizer().transcribe(pcm16k, language=language).text
