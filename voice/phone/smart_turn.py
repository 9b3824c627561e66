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
import re
import threading
import time
from functools import lru_cache
from typing import Awaitable, Callable, List

import numpy as np

from voice.weights import smart_turn_path

RATE = 16000
WINDOW_S = 8  # the model's input: the last 8 s of the turn
COMPLETE_AT = 0.5  # pipecat's threshold on the model's probability

# Words an unfinished sentence ends on (Whisper writes them with or without a comma after).
_UNFINISHED_ZH = ("那个", "那個", "就是", "然后", "然後", "还有", "還有", "还是", "還是", "而且", "但是", "因为", "因為",
                  "如果", "的话", "的話", "呃", "额", "請問", "请问", "或者", "跟住", "同埋", "即係", "嗰個", "之后", "之後")
_UNFINISHED_EN = ("and", "um", "uh", "er", "erm", "but", "or", "because", "the", "a", "an", "my", "to", "of", "with",
                  "if")
_TRAILING = re.compile(r"[\s,，、…\.。·\-—~～]+$")


def transcript_unfinished(text: str) -> bool:
    """True when the words so far stop where nobody ends a sentence (那个 / and / um ...), trail off
    (Whisper writes "so..." or a comma), or are no words at all (nothing to answer yet)."""
    text = text.strip().lower()
    if not text or text.endswith(("...", "…", ",", "，", "、")):
        return True
    text = _TRAILING.sub("", text)
    if not text or text[-1] in "?？!！":
        return False
    if text.endswith(_UNFINISHED_ZH):
        return True
    words = re.findall(r"[a-z']+", text)
    return bool(words) and text.endswith(words[-1]) and words[-1] in _UNFINISHED_EN


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
