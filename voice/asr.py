"""Speech recognition: Whisper behind one interface, with the hygiene a hotline needs.

Engines (ANXIN_ASR_ENGINE):
  faster-whisper  default: Whisper on CTranslate2 (int8 on CPU), the bundled base weights.
  openai-whisper  the reference implementation (an install extra: `make install-whisper`), fed
                  the SAME weights converted to its checkpoint layout (voice/openai_engine.py).

The pipeline is the same for both, so they differ only in the decoder:
  1. cut to the maximum utterance length (a stuck line or a monologue cannot stall a turn);
  2. Silero VAD (the model faster-whisper ships, ONNX, no download): silence, breathing and line
     noise never reach Whisper, which is what makes it invent sentences;
  3. language: forced by the caller's preference, else Whisper's detection limited to zh/yue/en;
  4. decode with condition_on_previous_text=False, a no-speech threshold and an initial prompt of
     insurance words (保单, 交费, 理赔 ... bias the decoder toward the words customers use);
  5. drop Whisper's known made-up phrases (subtitle credits, "thanks for watching", ...).

Whisper base has no Cantonese label (it says `zh` for Cantonese speech): for a caller whose
preference is Cantonese pass language="yue"; with a model that lacks `yue` it decodes as `zh`
with a Cantonese prompt (so the text comes out in written Cantonese) and reports "yue".
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

from voice.weights import model_path

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
LANGUAGES = ("zh", "yue", "en")
MAX_UTTERANCE_SECONDS = float(os.environ.get("ANXIN_ASR_MAX_SECONDS", "30"))  # one Whisper window
NO_SPEECH_THRESHOLD = float(os.environ.get("ANXIN_ASR_NO_SPEECH", "0.6"))
ENGLISH_MIN_PROBABILITY = 0.6
# Greedy decoding (1) was tried: it loops on the prompt's words and falls back to sampling, so it
# was both less accurate (CER 0.51) and no faster; 2 beams it is.
BEAM_SIZE = int(os.environ.get("ANXIN_ASR_BEAM", "2"))
CPU_THREADS = int(os.environ.get("ANXIN_ASR_THREADS", str(os.cpu_count() or 1)))  # one per core
# faster-whisper pads every utterance to Whisper's 30-s window (3000 mel frames) and encodes it all;
# the encoder is most of the cost and grows faster than linearly. CTranslate2 accepts a shorter
# window, so only the speech plus this margin of padding is encoded (0 = the full 30-s window).
ENCODER_MARGIN_FRAMES = int(os.environ.get("ANXIN_ASR_ENCODER_MARGIN", "300"))  # 100 frames = 1 s
# Whisper misreads much shorter windows: on the test fixtures 10 s raised the character error rate
# from 0.20 (30 s) to 0.22, 15 s gave 0.17 at 37% of the 30-s window's CPU time (README, voice figures).
ENCODER_MIN_FRAMES = int(os.environ.get("ANXIN_ASR_ENCODER_MIN", "1500"))
FULL_WINDOW_FRAMES = 3000

# Words customers say that Whisper base otherwise mishears (交费 -> 教费, 理赔 -> 理陪 ...).
INITIAL_PROMPTS = {
    "zh": "您好，我想问一下保单、交费、保费、理赔、报案、转人工、电子发票、保单贷款、宽限期、续保、扣款银行卡。",
    "yue": "你好，我想問下我張保單幾時要交錢，理賠、報案、轉人工、電子發票、保單貸款、寬限期、而家、唔該。",
    "en": "Hello, I'd like to ask about my policy, premium payment, a claim, an invoice, or speak to a human agent.",
}

# Phrases Whisper produces on silence and noise (learned from subtitle credits in its training
# data). Matched after removing spaces and punctuation, case-insensitively.
HALLUCINATIONS = (
    "请不吝点赞", "訂閱", "订阅", "转发打赏", "點贊", "点赞", "明镜与点点", "明鏡與點點",
    "字幕由amara", "amaraorg", "字幕志愿者", "字幕志願者", "中文字幕", "字幕提供", "字幕by",
    "谢谢观看", "謝謝觀看", "感谢观看", "感謝觀看", "谢谢收看", "謝謝收看", "优优独播剧场", "優優獨播劇場",
    "yoyotelevisionseries", "thanksforwatching", "thankyouforwatching", "pleasesubscribe",
    "likeandsubscribe", "subtitlesby", "subtitledby", "captionsby", "transcribedby",
    "seeyouinthenextvideo", "bythenextvideo", "www.", ".com",
)
_NOT_WORD = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Transcript:
    text: str        # "" = no speech
    language: str    # "zh" | "yue" | "en"


def _normalized(text: str) -> str:
    return _NOT_WORD.sub("", text).lower()


def is_hallucination(text: str, language: str = "") -> bool:
    """True for text Whisper makes up on silence: credits, outros, or its own prompt echoed back."""
    plain = _normalized(text)
    lowered = text.lower().replace(" ", "")
    if not plain:
        return True
    if any(marker in plain or marker in lowered for marker in HALLUCINATIONS):
        return True
    # Whisper sometimes repeats the initial prompt (or a long piece of it) when nothing was said.
    # Whisper also copies the initial prompt when it hears mumbling: a long piece of it, or a run of
    # its vocabulary words. A caller saying just "转人工" (also in the prompt) is real speech.
    for prompt in INITIAL_PROMPTS.values():
        normalized_prompt = _normalized(prompt)
        if len(plain) * 2 >= len(normalized_prompt) and plain in normalized_prompt:
            return True
        terms = [_normalized(term) for term in re.split(r"[、，,。：:]", prompt) if len(_normalized(term)) >= 2]
        found = [term for term in terms if term in plain]
        if len(found) >= 3 and sum(map(len, found)) * 10 >= len(plain) * 6:
            return True
    return False


def speech_only(audio: np.ndarray, min_silence_ms: int = 600) -> np.ndarray:
    """The speech parts of the audio according to Silero VAD; empty when nobody spoke."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=0.5, min_speech_duration_ms=200, min_silence_duration_ms=min_silence_ms,
                         speech_pad_ms=200)
    stamps = get_speech_timestamps(audio, options)
    if not stamps:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate([audio[stamp["start"]:stamp["end"]] for stamp in stamps]).astype(np.float32)


class Recognizer:
    """One loaded Whisper model. Thread-safe: one decode at a time per model (CPU bound anyway)."""

    engine = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._worker: Optional[concurrent.futures.ThreadPoolExecutor] = None

    # --- what an engine implements -------------------------------------------------------------
    @property
    def supported_languages(self) -> Iterable[str]:
        raise NotImplementedError

    def _language_probabilities(self, speech: np.ndarray) -> Dict[str, float]:
        raise NotImplementedError

    def _decode(self, speech: np.ndarray, language: str, prompt: str) -> List[Tuple[str, float]]:
        """(segment text, no-speech probability) pairs."""
        raise NotImplementedError

    def warm_up(self) -> None:
        """One throwaway pass (VAD, detection, decoding) so the first caller does not pay for lazy set-up."""
        hum = (0.1 * np.sin(np.arange(SAMPLE_RATE) * 2 * np.pi * 220 / SAMPLE_RATE)).astype(np.float32)
        speech_only(hum)
        with self._lock:
            self._language_probabilities(hum)
            self._decode(hum, "zh", INITIAL_PROMPTS["zh"])

    # --- the shared pipeline -------------------------------------------------------------------
    def detect_language(self, speech: np.ndarray, prefer: Optional[str] = None) -> str:
        """zh, yue or en. Chinese unless the audio is clearly English.

        The hotline's callers are mostly Chinese, and Whisper base often scores short or
        accented Mandarin as English (or Japanese, Vietnamese ...), while real English scores
        0.85+. So English needs a clear lead, unless the conversation is already in English.
        """
        probabilities = self._language_probabilities(speech)
        zh, yue, en = (probabilities.get(code, 0.0) for code in LANGUAGES)
        chinese = zh + yue
        if prefer == "en":
            is_english = en >= chinese * 0.5
        else:
            is_english = en >= ENGLISH_MIN_PROBABILITY and en > 2 * chinese
        if is_english:
            return "en"
        return "yue" if yue > zh else "zh"

    def transcribe(self, audio: np.ndarray, *, language: Optional[str] = None,
                   prefer: Optional[str] = None) -> Transcript:
        """Text and language of the speech in `audio` (float32 mono 16 kHz); text "" = nobody spoke.

        language forces zh/yue/en; prefer (the conversation's language so far) only tips detection.
        """
        if self._worker is not None:
            return self._worker.submit(self._transcribe, audio, language, prefer).result()
        return self._transcribe(audio, language, prefer)

    def _transcribe(self, audio: np.ndarray, language: Optional[str], prefer: Optional[str]) -> Transcript:
        if language is not None and language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)[: int(MAX_UTTERANCE_SECONDS * SAMPLE_RATE)]
        speech = speech_only(audio) if audio.size else audio
        if speech.size < SAMPLE_RATE // 5:  # under 0.2 s of speech: a cough, a click
            return Transcript("", language or "zh")
        with self._lock:
            detected = language or self.detect_language(speech, prefer)
            decode_as = detected
            if detected == "yue" and "yue" not in self.supported_languages:
                decode_as = "zh"  # base has no yue token; the Cantonese prompt keeps written Cantonese
            segments = self._decode(speech, decode_as, INITIAL_PROMPTS[detected])
        kept = [text.strip() for text, no_speech in segments
                if text.strip() and no_speech < NO_SPEECH_THRESHOLD and not is_hallucination(text)]
        joined = (" " if detected == "en" else "").join(kept)
        if not kept and segments:
            logger.info("ASR dropped %d segment(s) as silence or hallucination", len(segments))
        return Transcript(joined.strip(), detected)


def encoder_frames(features: np.ndarray, margin: Optional[int] = None) -> int:
    """How many mel frames of a padded 30-s window to encode: the content plus `margin`."""
    margin = ENCODER_MARGIN_FRAMES if margin is None else margin
    if margin <= 0:
        return features.shape[-1]
    columns = np.flatnonzero(np.any(features.reshape(-1, features.shape[-1]) != 0, axis=0))
    content = int(columns[-1]) + 1 if columns.size else 0
    return min(features.shape[-1], max(content + margin, ENCODER_MIN_FRAMES))


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
        self.model = _short_window_model_class()(path, device="cpu", compute_type=compute_type, cpu_threads=CPU_THREADS,
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
            speech, language=language, task="transcribe", beam_size=BEAM_SIZE, best_of=BEAM_SIZE,
            temperature=[0.0, 0.4, 0.8], condition_on_previous_text=False, initial_prompt=prompt,
            no_speech_threshold=NO_SPEECH_THRESHOLD, log_prob_threshold=-1.0, compression_ratio_threshold=2.4,
            vad_filter=False,  # done once in the shared pipeline, the same for both engines
            without_timestamps=True, max_new_tokens=128)
        return [(segment.text, segment.no_speech_prob) for segment in segments]


_recognizers: Dict[Tuple[str, str], Recognizer] = {}
_recognizers_lock = threading.Lock()
ENGINES = ("faster-whisper", "openai-whisper")


def get_recognizer(engine: Optional[str] = None) -> Recognizer:
    """The loaded recognizer for an engine (ANXIN_ASR_ENGINE by default), cached per engine/model."""
    engine = engine or os.environ.get("ANXIN_ASR_ENGINE", "faster-whisper")
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
