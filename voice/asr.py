"""Speech recognition: Whisper behind one interface, with the hygiene a hotline needs.

Engines (ANXIN_ASR_ENGINE):
  faster-whisper  default: Whisper on CTranslate2 (int8 on CPU), the bundled base weights.
  openai-whisper  the reference implementation (an install extra: `make install-whisper`), fed
                  the SAME weights converted to its checkpoint layout (voice/openai_engine.py).

Both run the shared pipeline of voice/recognizer.py (trim, VAD, language, decode, drop made-up text).
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import threading
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

from actions.service.core.settings import get_settings
from voice.recognizer import (  # noqa: F401  (callers import Transcript, LANGUAGES... from here)
    LANGUAGES, Recognizer, Transcript, is_hallucination,
)
from voice.weights import model_path

FULL_WINDOW_FRAMES = 3000


def encoder_frames(features: np.ndarray, margin: Optional[int] = None) -> int:
    """How many mel frames of a padded 30-s window to encode: the content plus `margin`."""
    margin = get_settings().asr_encoder_margin if margin is None else margin
    if margin <= 0:
        return features.shape[-1]
    columns = np.flatnonzero(np.any(features.reshape(-1, features.shape[-1]) != 0, axis=0))
    content = int(columns[-1]) + 1 if columns.size else 0
    return min(features.shape[-1], max(content + margin, get_settings().asr_encoder_min))


def _short_window_model_class():
    from faster_whisper import WhisperModel

    class ShortWindowWhisperModel(WhisperModel):
        """faster-whisper that encodes each window once, and only its speech plus a margin.

        Language detection and decoding each encode the same window; the second call reuses the
        first one's output (one entry: the model is used by one thread at a time).
        """

        _last_encoded: Optional[tuple] = None

        def encode(self, features: np.ndarray):
            features = np.ascontiguousarray(features[..., :encoder_frames(features)])
            key = hashlib.blake2b(features.tobytes(), digest_size=16).digest()
            if self._last_encoded is not None and self._last_encoded[0] == key:
                return self._last_encoded[1]
            output = super().encode(features)
            self._last_encoded = (key, output)
            return output

    return ShortWindowWhisperModel


class FasterWhisperRecognizer(Recognizer):
    engine = "faster-whisper"

    def __init__(self, path: str, compute_type: str = "int8") -> None:
        super().__init__()
        self.model = _short_window_model_class()(path, device="cpu", compute_type=compute_type, cpu_threads=get_settings().asr_threads,
                                  local_files_only=True)

    @property
    def supported_languages(self) -> Iterable[str]:
        return self.model.supported_languages

    def _language_probabilities(self, speech: np.ndarray) -> Dict[str, float]:
        from faster_whisper.audio import pad_or_trim

        # The first window exactly as transcribe() will cut it (it drops the last frame), so that
        # decoding finds this encoder output in the model's one-entry cache instead of encoding again.
        features = self.model.feature_extractor(speech)
        window = features[:, :min(FULL_WINDOW_FRAMES, features.shape[-1] - 1)]
        results = self.model.model.detect_language(self.model.encode(pad_or_trim(window)))[0]
        return {token[2:-2]: probability for token, probability in results}

    def _decode(self, speech: np.ndarray, language: str, prompt: str) -> List[Tuple[str, float]]:
        segments, _ = self.model.transcribe(
            speech, language=language, task="transcribe", beam_size=get_settings().asr_beam, best_of=get_settings().asr_beam,
            temperature=[0.0, 0.4, 0.8], condition_on_previous_text=False, initial_prompt=prompt,
            no_speech_threshold=get_settings().asr_no_speech, log_prob_threshold=-1.0, compression_ratio_threshold=2.4,
            vad_filter=False,  # done once in the shared pipeline, the same for both engines
            without_timestamps=True, max_new_tokens=128)
        return [(segment.text, segment.no_speech_prob) for segment in segments]


_recognizers: Dict[Tuple[str, str], Recognizer] = {}
_recognizers_lock = threading.Lock()
ENGINES = ("faster-whisper", "openai-whisper")


def get_recognizer(engine: Optional[str] = None) -> Recognizer:
    """The loaded recognizer for an engine (ANXIN_ASR_ENGINE by default), cached per engine/model."""
    engine = engine or get_settings().asr_engine
    if engine not in ENGINES:
        raise ValueError(f"ANXIN_ASR_ENGINE must be one of {ENGINES}, not {engine!r}")
    path = str(model_path())
    key = (engine, path)
    with _recognizers_lock:
        if key not in _recognizers:
            # The model is built and always run on one thread of its own: CTranslate2 measured 2-3x
            # slower when run from threads other than the one that built it (Rasa's executor threads).
            worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"asr-{engine}")
            recognizer = worker.submit(_build, engine, path).result()
            worker.submit(recognizer.warm_up).result()
            recognizer._worker = worker
            _recognizers[key] = recognizer
        return _recognizers[key]


def _build(engine: str, path: str) -> Recognizer:
    if engine == "faster-whisper":
        return FasterWhisperRecognizer(path)
    from voice.openai_engine import OpenAIWhisperRecognizer  # needs torch: an install extra

    return OpenAIWhisperRecognizer(path)
