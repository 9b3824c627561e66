"""Has the caller finished their sentence? Pipecat's Smart Turn v3.2 judges it from the audio.

The model (a Whisper-tiny encoder with a classifier, int8 ONNX, BSD-2-Clause; weights in
voice/weights.py) reads the last 8 s of the turn at 16 kHz as Whisper log-mel features, the
waveform first normalised to zero mean and unit variance, shorter turns zero-padded in front,
exactly as pipecat's LocalSmartTurnAnalyzerV3 feeds it; it returns the probability that the
speaker is done. faster-whisper's numpy feature extractor gives the same features as
pipecat's vendored one (Slaney mel filters, reflect-padded STFT, the last frame dropped).

The transcript helps where the audio cannot: a sentence that ends in a filler or a
conjunction (那个, 就是, 然后, and, um ...) or trails off ("so...") is not finished, whatever the
prosody says; and speech Whisper reads as no words at all is not yet a request worth answering
early (the silence rule still ends it).
"""
from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from functools import lru_cache
from typing import Awaitable, Callable, List

import numpy as np

from actions.service.language import to_simplified
from voice.weights import smart_turn_path

RATE = 16000
WINDOW_S = 8  # the model's input: the last 8 s of the turn
# The model's probability above which a short pause ends the turn. Pipecat uses 0.5; at the natural-voice
# fixtures' hesitations the model often says 0.55-0.8 where a first half sounds whole (我的保单，… / I want
# to change the bank card, …), while the complete sentences it answers fast score 0.85+. 0.8, chosen on
# half the sentences, cut the other half's early ends from 7 to 5 of 18, no complete sentence slower.
COMPLETE_AT = 0.8

# What an unfinished sentence ends on, by word class (from the grammar, not from the test sentences;
# Whisper writes them with or without a comma after). Only words that cannot end a request: a
# demonstrative (这个, that), a numeral + classifier (一个) or a stranded particle (log in) can.
_UNFINISHED_ZH = (
    # fillers
    "那个", "那個", "这个嘛", "這個嘛", "就是", "就係", "即係", "嗰個", "呃", "额",
    # conjunctions and the openers of a clause that goes on (然后 / if / when / because ...)
    "然后", "然後", "跟住", "还有", "還有", "还是", "還是", "定係", "或者", "而且", "并且", "並且", "以及", "同埋",
    "但是", "但係", "可是", "不过", "不過", "所以", "因为", "因為", "如果", "假如", "要是", "只要", "虽然", "雖然",
    "的话", "的話", "的时候", "的時候", "嘅時候", "之后", "之後", "除了", "比如", "例如",
    # prepositions that need their object (把 X, 关于 X ...)
    "把", "关于", "關於", "对于", "對於", "根据", "根據", "按照", "为了", "為了",
    # verbs of asking and wanting that need what is asked or wanted (想知道 X, 请问 X, 帮我 X)
    "我想", "想知道", "想问", "想問", "想问一下", "想問下", "想了解", "想咨询", "想諮詢", "请问", "請問",
    "帮我", "幫我", "麻烦你帮我", "麻煩你幫我", "唔該幫我",
    # an A-not-A question that stops before its predicate (是不是 X); with its ？ it is a tag, and finished
    "是不是", "係咪", "有没有", "有沒有", "有冇", "能不能", "可不可以", "可唔可以", "会不会", "會不會",
)
_UNFINISHED_EN = frozenset((
    # fillers
    "um", "uh", "er", "erm", "umm", "uhm",
    # conjunctions and subordinators
    "and", "but", "or", "nor", "because", "cause", "if", "unless", "whether", "than", "although",
    "so",  # but "I think so": _SO_ENDS
    # articles and possessive determiners (his / her / its can be pronouns: not here)
    "the", "a", "an", "my", "your", "our", "their", "every",
    # prepositions that are not also verb particles (in, on, up, out, off, over, down, back can end)
    "to", "of", "for", "with", "about", "from", "into", "onto", "towards", "regarding", "concerning", "without",
))
_FINISHED_ZH = ("帮帮我", "幫幫我")  # "help me!" ends on 帮我 and is whole
_SO_ENDS = frozenset(("think", "hope", "guess", "believe", "suppose", "said", "say", "told", "do", "not",
                      "reckon", "expect", "afraid"))
# "can you", "could I", "would you" without a question mark: the request comes next
_MODALS = frozenset(("can", "could", "would", "will", "may", "might", "should", "shall"))
_SUBJECTS = frozenset(("you", "i", "we"))
# "I want", "I need", "I would like": what they want comes next (but "that's what I need" is whole)
_WANTS = frozenset(("want", "need", "wanna"))
_WOULD = frozenset(("would", "i'd", "we'd"))
_WHAT = frozenset(("what", "that", "all", "everything", "anything", "which"))
# 把 X / 將 X (the disposal construction) puts the object before its verb: 我想把扣款的银行卡 has its object
# and still owes the verb (换成另外一张). Jieba tags the words; it reads Simplified, so Traditional is folded.
_DISPOSAL = frozenset(("把", "将"))
_TRAILING = re.compile(r"[\s,，、…\.。·\-—~～]+$")


def transcript_unfinished(text: str) -> bool:
    """True when the words so far stop where nobody ends a sentence (a filler, a conjunction, an article
    or preposition without its noun, 想知道 / "I want" without what is wanted ...), trail off (Whisper
    writes "so..." or a comma), or are no words at all (nothing to answer yet)."""
    text = text.strip().lower()
    if not text or text.endswith(("...", "…", ",", "，", "、")):
        return True
    text = _TRAILING.sub("", text)
    if not text or text[-1] in "?？!！":
        return False
    if text.endswith(_UNFINISHED_ZH) and not text.endswith(_FINISHED_ZH):
        return True
    if _object_without_its_verb(text):
        return True
    words = re.findall(r"[a-z']+", text)
    if not words or not text.endswith(words[-1]):
        return False
    third, before, last = (["", ""] + words)[-3:]
    if last == "so":
        return before not in _SO_ENDS
    return (last in _UNFINISHED_EN or (last in _SUBJECTS and before in _MODALS)
            or (last == "like" and before in _WOULD)
            or (last in _WANTS and before in _SUBJECTS and third not in _WHAT))


def _object_without_its_verb(text: str) -> bool:
    """A 把 / 将 clause whose object has come and whose verb has not (把银行卡换了 / 把钱退给我 are whole)."""
    text = to_simplified(text)
    if not _DISPOSAL.intersection(text):
        return False
    words = list(_tagger().cut(text))
    markers = [i for i, word in enumerate(words) if word.word in _DISPOSAL and word.flag == "p"]
    if not markers:
        return False  # 将 as "will" (将会) is an adverb, not the construction
    clause = words[markers[-1] + 1:]
    objects = [i for i, word in enumerate(clause) if word.flag[:1] in ("n", "r")]
    return not any(word.flag.startswith("v") for word in clause[objects[0] + 1 if objects else 0:])


@lru_cache(maxsize=1)
def _tagger():
    """Jieba's part-of-speech tagger (its dictionary takes ~2 s and ~65 MB to load: once, before a call)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.posseg


def prepare() -> None:
    """Load what judging a pause needs (the turn model, the tagger) before the caller's first pause."""
    smart_turn_model()
    _tagger()


@lru_cache(maxsize=1)
def _features():
    from faster_whisper.feature_extractor import FeatureExtractor

    return FeatureExtractor(feature_size=80, sampling_rate=RATE, chunk_length=WINDOW_S)


class SmartTurnModel:
    """Smart Turn v3.2 on onnxruntime: probability that a 16 kHz utterance is complete."""

    def __init__(self) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1  # one core per judgement: other calls keep the other
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 4
        self.session = onnxruntime.InferenceSession(str(smart_turn_path()), sess_options=options,
                                                    providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()  # one run at a time per session keeps each run on one core

    @staticmethod
    def features(pcm16k: np.ndarray) -> np.ndarray:
        """(1, 80, 800) log-mel features of the last 8 s, as pipecat computes them."""
        samples = RATE * WINDOW_S
        audio = np.asarray(pcm16k, dtype=np.float32)[-samples:]
        audio = np.pad(audio, (samples - audio.size, 0))
        audio = (audio - audio.mean()) / np.sqrt(audio.var() + 1e-7)
        return _features()(audio, padding=0)[None, :, :].astype(np.float32)

    def probability(self, pcm16k: np.ndarray) -> float:
        features = self.features(pcm16k)
        with self._lock:
            output = self.session.run(None, {"input_features": features})[0]
        return float(np.asarray(output).reshape(-1)[0])

    def complete(self, pcm16k: np.ndarray) -> bool:
        return self.probability(pcm16k) > COMPLETE_AT


@lru_cache(maxsize=1)
def smart_turn_model() -> SmartTurnModel:
    """The process's one model session (loaded on the first call's first pause)."""
    return SmartTurnModel()


INFERENCE_MS: List[float] = []  # the model's run times in this process (the bench reads them), last 1000


async def judge_pause(pcm16k: np.ndarray, words: Callable[[], Awaitable[str]]) -> bool:
    """Is the turn heard so far complete? The model first (tens of ms); only if it says yes are the
    words fetched (Whisper, needed for the reply anyway) to veto a sentence that stops on 那个 / and.

    The words only veto. As evidence FOR a finished sentence they did not help on the fixture set
    (Whisper base ends fragments with 。 or drops their last "for"/"the"; a verdict combining them with
    the model, tuned on half the fixtures, waited longer for as many early ends: `make bench`, phone
    part 3). Starting Whisper beside the model would save ~0.1 s for a Whisper pass at every short pause."""
    model = smart_turn_model()

    def timed() -> bool:
        started = time.perf_counter()
        try:
            return model.complete(pcm16k)
        finally:
            INFERENCE_MS.append((time.perf_counter() - started) * 1000)
            del INFERENCE_MS[:-1000]

    if not await asyncio.get_running_loop().run_in_executor(None, timed):
        return False
    return not transcript_unfinished(await words())
