"""The engine base of speech recognition: the pipeline every Whisper engine runs (voice/asr.py builds them).

The pipeline is the same for every engine, so they differ only in the decoder:
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
import logging
import re
import threading
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

from actions.service.core.settings import get_settings
logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
LANGUAGES = ("zh", "yue", "en")
ENGLISH_MIN_PROBABILITY = 0.6

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


_PROMPT_TERMS = frozenset(
    _normalized(term) for prompt in INITIAL_PROMPTS.values()
    for term in re.split(r"[、，,。：:]", prompt) if len(_normalized(term)) >= 2)
# The prompt's listed words (理赔, 电子发票), not its opening sentence, are what a loop cuts short.
_LIST_TERMS = tuple(term for term in _PROMPT_TERMS if len(term) <= 6)
_ECHO_TAIL_TERMS = 3  # "…交钱，理赔、报案、转人工" : three prompt words listed at the end are the prompt


def _prompt_like(piece: str) -> bool:
    """A prompt term, or a piece of one ("人工" of 转人工, "保單貸" of 保單貸款 where the loop was cut off)."""
    plain = _normalized(piece)
    return plain in _PROMPT_TERMS or (len(plain) >= 2 and any(plain in term for term in _LIST_TERMS))


def without_prompt_echo(text: str) -> str:
    """The text without a list of prompt words Whisper appended after the caller's real words.

    Whisper base sometimes hears the words and then copies a run of its initial prompt
    ("我想保單幾時要交錢，理賠、報案、轉人工、電子發票、"), looping it and cutting the last term short
    ("…、保單貸款、轉人工、電子發票、保單貸"). Three or more prompt terms (or pieces of one: 人工, 保單貸)
    in a row at the end are the prompt, not the caller; one or two ("我要理赔，报案") may be speech and stay.
    """
    pieces = [piece for piece in re.split(r"[、，,。：:]", text)]
    while pieces and not _normalized(pieces[-1]):
        pieces.pop()
    tail = 0
    while tail < len(pieces) and _prompt_like(pieces[len(pieces) - 1 - tail]):
        tail += 1
    if tail < _ECHO_TAIL_TERMS or tail == len(pieces):
        return text  # a short list may be speech; all prompt words is judged by is_hallucination
    kept = pieces[:len(pieces) - tail]
    cut = len("".join(kept)) + len(kept) - 1  # the separators between the kept pieces
    return text[:cut].rstrip()


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
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)[: int(get_settings().asr_max_seconds * SAMPLE_RATE)]
        speech = speech_only(audio) if audio.size else audio
        if speech.size < SAMPLE_RATE // 5:  # under 0.2 s of speech: a cough, a click
            return Transcript("", language or "zh")
        with self._lock:
            detected = language or self.detect_language(speech, prefer)
            decode_as = detected
            if detected == "yue" and "yue" not in self.supported_languages:
                decode_as = "zh"  # base has no yue token; the Cantonese prompt keeps written Cantonese
            segments = self._decode(speech, decode_as, INITIAL_PROMPTS[detected])
        kept = [without_prompt_echo(text.strip()) for text, no_speech in segments
                if text.strip() and no_speech < get_settings().asr_no_speech and not is_hallucination(text)]
        joined = (" " if detected == "en" else "").join(kept)
        if not kept and segments:
            logger.info("ASR dropped %d segment(s) as silence or hallucination", len(segments))
        return Transcript(joined.strip(), detected)
