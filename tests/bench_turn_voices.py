"""The turn model on every caller's voice this machine can make (issue 17): does it hear the end of a
sentence, and what do both end-of-turn rules do, voice by voice and language by language?

Smart Turn judges from prosody; on espeak-ng's rule-made intonation it told finished from unfinished
sentences at chance, so a figure measured on one voice says little about real callers. For each voice
in tests/voice/voices.py that is installed, on the end-of-turn fixture set said in that voice
(tests/voice/phone/turn_fixtures.py, the languages the voice speaks):

- AUC of the model's probability, pauses after a sentence's last word against the caller's hesitation
  pauses inside one (and against every pause inside one: stop consonants and commas too);
- the share of each the model calls complete (> 0.5);
- mid-sentence pauses (1.0-2.0 s) that end the turn early, smart rule (model + Whisper's veto, as a call
  runs it) beside the fixed 1.8 s rule;
- complete utterances: the share the smart rule ends at the short pause, and the wait after the last word
  (audio time, p50 / p95) for both rules. The server adds its own time after the decision (`make bench`,
  phone part 1, measures end of speech -> first reply audio through real servers).

    python -m tests.bench_turn_voices                        # every installed voice, with Whisper's veto
    python -m tests.bench_turn_voices --voices espeak,piper --no-words
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

from tests.bench import machine
from tests.voice.phone.turn_fixtures import (NATURAL, early_end_rates, fixtures, pause_checks, pause_evidence,
                                             separation, whisper_words)
from tests.voice.voices import VOICES, natural_voice
from voice.phone.smart_turn import smart_turn_model
from voice.phone.transcription import transcribe

LANGUAGES = ("zh", "yue", "en")


@lru_cache(maxsize=None)
def _words(audio: bytes, language: str) -> str:
    return whisper_words(np.frombuffer(audio, np.float32), language)


def cached_words(pcm16k: np.ndarray, language: str) -> str:
    """Whisper's transcript, once per distinct pause: the evidence and both replays ask for the same ones."""
    return _words(np.asarray(pcm16k, np.float32).tobytes(), language)


def hesitating(evidence) -> bool:
    """A check inside the caller's mid-sentence pause."""
    pause = evidence.fixture.pause
    return bool(pause) and pause[0] <= evidence.at_s <= pause[0] + pause[1]


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def row(voice: str, language, evidence, words) -> str:
    chosen = [e for e in evidence if language in (None, e.fixture.language)]
    ends = [e.probability for e in chosen if e.finished]
    hesitations = [e.probability for e in chosen if not e.finished and hesitating(e)]
    inside = [e.probability for e in chosen if not e.finished]
    rates = early_end_rates(words, voice, language)
    smart, fixed = rates["smart_waits_s"], rates["fixed_waits_s"]
    waits = "  ".join(f"{percentile(w, 0.5):4.2f}/{percentile(w, 0.95):4.2f}" if None not in w else "never"
                      for w in (smart, fixed))
    return (f"  {voice:9s} {language or 'all':4s} {rates['paused']:3d}+{rates['complete']:<3d} "
            f"{separation(ends, hesitations):5.2f} {separation(ends, inside):6.2f}   "
            f"{statistics.mean(p > 0.5 for p in ends) * 100:4.0f}% {statistics.mean(p > 0.5 for p in hesitations) * 100:4.0f}%"
            f"   {rates['smart_early'] * 100:5.1f}% {rates['fixed_early'] * 100:5.1f}%   "
            f"{rates['smart_fast'] * 100:4.0f}%   {waits}")


def timed_ms(run) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def decision_time() -> None:
    """From a complete utterance's last word to the end-of-turn decision, in the natural voices: the pause
    the detector needs (audio time), then the turn model and the Whisper pass of the words' veto (which is
    also the reply's transcript), one after the other as a call runs them today, and both started at once."""
    model, seen, rows = smart_turn_model(), set(), []
    for fixture, at_s, check in pause_checks():
        if fixture.pause or at_s < fixture.speech_end_s or fixture.text in seen:
            continue
        seen.add(fixture.text)
        pcm = check.pcm16k()
        # Whisper keeps the last window it encoded: the second pass hears the turn 0.01 dB quieter, so it
        # encodes anew (the same work).
        pcm_again = pcm * np.float32(0.999)
        language = "yue" if fixture.language == "yue" else None  # as the call asks (Cantonese forced)
        prefer = "en" if fixture.language == "en" else "zh"
        if not rows:
            transcribe(pcm[:16000], language, prefer), model.probability(pcm)  # loads Whisper and the model
        model_ms = timed_ms(lambda: model.probability(pcm))
        whisper_ms = timed_ms(lambda: transcribe(pcm, language, prefer))
        with ThreadPoolExecutor(2) as pool:
            together_ms = timed_ms(lambda: [f.result() for f in [pool.submit(model.probability, pcm_again),
                                                                 pool.submit(transcribe, pcm_again, language, prefer)]])
        rows.append((at_s - fixture.speech_end_s, model_ms, whisper_ms, together_ms))
    columns = list(zip(*rows))
    print(f"from the last word to the decision, {len(rows)} complete utterances (natural voices; load "
          f"{os.getloadavg()[0]:.1f}), p50 / p95:")
    for name, values, unit in (("pause seen (0.25 s of silence, VAD windows)", columns[0], 1000),
                               ("turn model", columns[1], 1), ("Whisper pass (words' veto = reply transcript)",
                                                               columns[2], 1),
                               ("model then Whisper (today)", [m + w for m, w in zip(columns[1], columns[2])], 1),
                               ("model and Whisper started together", columns[3], 1)):
        values = [v * unit for v in values]
        print(f"  {name:48s} {percentile(values, 0.5):5.0f} / {percentile(values, 0.95):5.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voices", default=",".join((NATURAL,) + tuple(VOICES)),
                        help=f"comma-separated voice names (tests/voice/voices.py), or {NATURAL}: the tests' set")
    parser.add_argument("--no-words", action="store_true", help="the model alone, without Whisper's veto (faster)")
    parser.add_argument("--decision-only", action="store_true", help="only the time from last word to decision")
    options = parser.parse_args()
    if options.decision_only:
        return decision_time()
    words = None if options.no_words else cached_words
    print(f"# End-of-turn fixtures per voice on {machine()}; uptime: {os.popen('uptime').read().strip()}")
    print("# natural voice per language: " + ", ".join(f"{lang} {natural_voice(lang)}" for lang in LANGUAGES))
    print("  voice     lang  n    AUC: hes. inside  complete>0.5:  early ends:      fast   wait after last word,"
          " s p50/p95")
    print("                        (ends vs)        ends  hes.     smart  fixed      smart  smart      fixed")
    for voice in options.voices.split(","):
        if voice != NATURAL and not VOICES[voice].available():
            print(f"  {voice:9s} not installed here: {VOICES[voice].installed_by}")
            continue
        evidence = pause_evidence(words, voice)
        speaks = [lang for lang in LANGUAGES if lang in {f.language for f in fixtures(voice)}]
        for language in speaks + ([None] if len(speaks) > 1 else []):
            print(row(voice, language, evidence, words), flush=True)
    decision_time()
    print(f"# uptime after: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
