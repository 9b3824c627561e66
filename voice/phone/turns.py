"""When has an old caller finished speaking? Streaming VAD and endpointing on phone audio.

Speech is detected with Silero VAD (the ONNX model faster-whisper ships, run on onnxruntime one
32 ms window at a time with its recurrent state kept), so line hiss, clicks and breathing do not
start a turn. Endpointing counts in *audio* time (the carrier streams 20 ms frames continuously,
silence included), which keeps it exact whatever the network or CPU load does:

- smart end of turn (issue 17, on by default): after a short pause (`pause_s`, 0.25 s) the call
  asks the turn model (voice/phone/smart_turn.py) whether the sentence is complete (PauseCheck)
  and ends the turn at once if it is (`end_now`); if not, the turn ends only after
  `unfinished_silence_s` of silence (2.2 s: older callers pause 1.5–2 s in the middle of a
  sentence, and that must not cut them off);
- without the model (smartTurn=off, or its weights missing), a turn ends after `end_silence_s`
  of silence (1.8 s, the fixed rule);
- a turn that never goes quiet is cut at `max_turn_s`;
- a burst shorter than `min_speech_s` (a cough, a click) is not a turn;
- barge-in in two steps, so that it is fast and a backchannel still does not stop the bot:
  `onset_s` of loud-enough speech (SpeechOnset, about 0.2 s after the first sound) lets the call
  pause the bot at once (Twilio `clear`); a burst that goes on for `barge_in_s` is a real
  interruption (LongSpeech), while a shorter one (嗯, 对, OK) is judged by ASR at the first pause
  (TurnPaused) and, if it was only a backchannel, the bot picks up its sentence again.
"""
from __future__ import annotations

import audioop
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import List, Optional

import numpy as np

from actions.service.core.settings import get_settings
from voice.audio import mulaw8k_to_pcm16k, resample

VAD_RATE = 16000
WINDOW = 512  # Silero's window at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous window Silero v5/v6 expects in front of each window
PHONE_RATE = 8000
PRE_ROLL_S = 0.3  # audio kept before the detected onset: the VAD fires a little after the first sound
ONSET_MIN_RMS = 0.01  # -40 dBFS: VAD-positive windows quieter than this (a far-off TV) do not pause the bot


@dataclass(frozen=True)
class TurnSettings:
    end_silence_s: float = field(default_factory=lambda: get_settings().phone_end_silence_s)
    smart_turn: bool = field(default_factory=lambda: get_settings().phone_smart_turn)
    pause_s: float = field(default_factory=lambda: get_settings().phone_smart_pause_s)
    # With the model: the silence that ends a turn it judged unfinished (longer than an elder's pause).
    unfinished_silence_s: float = field(default_factory=lambda: get_settings().phone_unfinished_silence_s)
    max_turn_s: float = field(default_factory=lambda: get_settings().phone_max_turn_s)
    min_speech_s: float = 0.25
    # Voice (VAD + energy) that pauses the bot while it talks; with Silero's ~45 ms lag this pauses
    # it within about 0.2 s of the first sound, inside the 300 ms an interruption must take.
    onset_s: float = field(default_factory=lambda: get_settings().phone_onset_s)
    # Longer than a backchannel (嗯 0.15 s, 好的 0.35 s, a slow "OK" 0.5 s of voice): an interruption.
    barge_in_s: float = field(default_factory=lambda: get_settings().phone_barge_in_s)
    # After this much silence the turn so far is handed to ASR already; if the caller stays quiet
    # until end_silence_s the transcript is ready, so recognition hides inside the wait (0 = off).
    early_asr_s: float = field(default_factory=lambda: get_settings().phone_early_asr_s)
    speech_threshold: float = 0.5

    @property
    def silence_limit_s(self) -> float:
        """The silence that ends a turn whatever the model says (or when there is none)."""
        return self.unfinished_silence_s if self.smart_turn else self.end_silence_s

    def with_overrides(self, parameters: dict) -> "TurnSettings":
        """Per-call settings from the carrier's custom parameters (e.g. endSilenceMs=2200, smartTurn=off)."""
        values = dict(self.__dict__)
        if parameters.get("smartTurn") in ("on", "off"):
            values["smart_turn"] = parameters["smartTurn"] == "on"
        for key, name in (("endSilenceMs", "end_silence_s"), ("maxTurnMs", "max_turn_s"),
                          ("unfinishedSilenceMs", "unfinished_silence_s"),
                          ("bargeInMs", "barge_in_s"), ("onsetMs", "onset_s")):
            try:
                milliseconds = float(parameters.get(key, ""))
            except ValueError:
                continue
            if 100 <= milliseconds <= 120_000:
                values[name] = milliseconds / 1000
        return TurnSettings(**values)


@lru_cache(maxsize=1)
def _silero_path() -> str:
    import faster_whisper

    return str(Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx")


@lru_cache(maxsize=1)
def _silero_session():
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    options.log_severity_level = 4
    return onnxruntime.InferenceSession(_silero_path(), providers=["CPUExecutionProvider"],
                                        sess_options=options)


class SpeechDetector:
    """Streaming Silero VAD over 8 kHz linear audio; one probability per 32 ms window."""

    def __init__(self) -> None:
        self.session = _silero_session()
        self.state_h = np.zeros((1, 1, 128), dtype=np.float32)
        self.state_c = np.zeros((1, 1, 128), dtype=np.float32)
        self.context = np.zeros(CONTEXT, dtype=np.float32)
        self.pending = np.zeros(0, dtype=np.float32)  # 16 kHz samples not yet a full window

    def feed(self, linear8k: np.ndarray) -> List[float]:
        upsampled = resample(linear8k, PHONE_RATE, VAD_RATE)
        self.pending = np.concatenate([self.pending, upsampled])
        probabilities = []
        while self.pending.size >= WINDOW:
            window, self.pending = self.pending[:WINDOW], self.pending[WINDOW:]
            model_input = np.concatenate([self.context, window])[None, :]
            self.context = window[-CONTEXT:]
            output, self.state_h, self.state_c = self.session.run(
                None, {"input": model_input, "h": self.state_h, "c": self.state_c})
            probabilities.append(float(np.asarray(output).reshape(-1)[0]))
        return probabilities


@dataclass(frozen=True)
class SpeechStarted:
    """The caller really started speaking (at least min_speech_s of voice)."""


@dataclass(frozen=True)
class SpeechOnset:
    """Loud-enough speech for onset_s: the caller may be interrupting (or just saying 嗯)."""


@dataclass(frozen=True)
class LongSpeech:
    """The caller has spoken for barge_in_s: over the bot's voice this is an interruption."""


@dataclass(frozen=True)
class TurnPaused:
    """The caller paused for early_asr_s: the turn so far, to transcribe while we wait for the end."""

    mulaw: bytes
    voiced_s: float  # equal to the TurnEnded's voiced_s if no speech followed

    def pcm16k(self) -> np.ndarray:
        return mulaw8k_to_pcm16k(self.mulaw)


@dataclass(frozen=True)
class PauseCheck:
    """A short pause (pause_s) after speech: is the turn complete? Answer with TurnDetector.end_now."""

    mulaw: bytes  # the turn so far, its short trailing silence included (the model hears the pause)
    voiced_s: float
    turn: int  # which turn of the call it belongs to

    def pcm16k(self) -> np.ndarray:
        return mulaw8k_to_pcm16k(self.mulaw)


@dataclass(frozen=True)
class TurnEnded:
    mulaw: bytes  # the whole turn (with a little pre-roll), μ-law 8 kHz
    voiced_s: float  # seconds of detected speech in it
    reason: str  # "complete" (the turn model) | "silence" | "max_length"

    def pcm16k(self) -> np.ndarray:
        return mulaw8k_to_pcm16k(self.mulaw)


class TurnDetector:
    """Feed it the caller's μ-law frames; it says when a turn starts, is long, and ends."""

    def __init__(self, settings: Optional[TurnSettings] = None, detector: Optional[SpeechDetector] = None) -> None:
        self.settings = settings or TurnSettings()
        self.detector = detector or SpeechDetector()
        self.window_s = WINDOW / VAD_RATE
        self._pending_mulaw = b""  # μ-law not yet judged by the VAD
        self._pre_roll = b""
        self._turn: Optional[bytearray] = None
        self._voiced_s = 0.0
        self._burst_s = 0.0
        self._silence_s = 0.0
        self._started = False
        self._onset = False
        self._loudest = 0.0  # RMS of the loudest voiced window of this turn
        self._long = False
        self._turn_number = 0

    @property
    def in_turn(self) -> bool:
        return self._turn is not None

    @property
    def voiced_s(self) -> float:
        """Seconds of speech in the turn so far (0 between turns)."""
        return self._voiced_s

    def reset(self) -> None:
        """Forget a turn in progress (e.g. the caller pressed a key instead)."""
        self._turn = None
        self._voiced_s = self._burst_s = self._silence_s = 0.0
        self._started = self._onset = self._long = False
        self._loudest = 0.0

    def feed(self, mulaw: bytes) -> list:
        events: list = []
        self._pending_mulaw += mulaw
        linear = np.frombuffer(audioop.ulaw2lin(mulaw, 2), dtype="<i2").astype(np.float32) / 32768.0
        # Each 32 ms VAD window covers 256 phone samples (bytes) of what was fed.
        bytes_per_window = WINDOW * PHONE_RATE // VAD_RATE
        for probability in self.detector.feed(linear):
            chunk, self._pending_mulaw = self._pending_mulaw[:bytes_per_window], self._pending_mulaw[bytes_per_window:]
            events.extend(self._judge(chunk, probability >= self.settings.speech_threshold))
        return events

    def _judge(self, chunk: bytes, speech: bool) -> list:
        settings = self.settings
        if self._turn is None:
            if not speech:
                self._pre_roll = (self._pre_roll + chunk)[-int(PRE_ROLL_S * PHONE_RATE):]
                return []
            self._turn = bytearray(self._pre_roll)
            self._pre_roll = b""
            self._turn_number += 1
        self._turn += chunk
        events: list = []
        if speech:
            self._voiced_s += self.window_s
            self._burst_s += self.window_s
            self._silence_s = 0.0
            self._loudest = max(self._loudest, _rms(chunk))
            if not self._onset and self._voiced_s >= settings.onset_s and self._loudest >= ONSET_MIN_RMS:
                self._onset = True
                events.append(SpeechOnset())
            if not self._started and self._voiced_s >= settings.min_speech_s:
                self._started = True
                events.append(SpeechStarted())
            if not self._long and self._burst_s >= settings.barge_in_s:
                self._long = True
                events.append(LongSpeech())
        else:
            self._burst_s = 0.0
            before, self._silence_s = self._silence_s, self._silence_s + self.window_s
            limit = settings.silence_limit_s
            if (settings.smart_turn and before < settings.pause_s <= self._silence_s
                    and self._voiced_s >= settings.min_speech_s):
                events.append(PauseCheck(bytes(self._turn), self._voiced_s, self._turn_number))
            early = settings.early_asr_s
            # Also after a burst too short to be a turn, if it paused the bot: the call must learn
            # that it was over, to pick its sentence up again.
            if (0 < early < limit and before < early <= self._silence_s
                    and (self._voiced_s >= settings.min_speech_s or self._onset)):
                events.append(TurnPaused(self._trimmed(), self._voiced_s))
        duration = len(self._turn) / PHONE_RATE
        if self._silence_s >= settings.silence_limit_s or duration >= settings.max_turn_s:
            events += self._end("silence" if self._silence_s >= settings.silence_limit_s else "max_length")
        return events

    def still_paused(self, check: PauseCheck) -> bool:
        """The caller has said nothing since `check` and its turn has not ended."""
        return self._turn is not None and check.turn == self._turn_number and self._voiced_s == check.voiced_s

    def end_now(self, check: PauseCheck) -> list:
        """The turn model judged the turn complete at `check`: end it, unless the caller spoke since."""
        return self._end("complete") if self.still_paused(check) else []

    def _end(self, reason: str) -> list:
        turn, voiced = self._trimmed(), self._voiced_s
        self.reset()
        return [TurnEnded(turn, voiced, reason)] if voiced >= self.settings.min_speech_s else []

    def _trimmed(self) -> bytes:
        """The turn without its trailing silence (only how we knew it ended: ASR need not read it)."""
        keep = len(self._turn) - int(max(0.0, self._silence_s - PRE_ROLL_S) * PHONE_RATE)
        return bytes(self._turn[:keep])


def _rms(mulaw: bytes) -> float:
    return audioop.rms(audioop.ulaw2lin(mulaw, 2), 2) / 32768.0 if mulaw else 0.0
