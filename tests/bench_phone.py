"""Phone voice turn latency, smart end of turn vs the fixed silence rule (`make bench`, issue 17).

1. Calls through the real action + Rasa servers and the phone WebSocket: each streams a complete
   utterance (Mandarin / Cantonese / English, from the end-of-turn fixtures, in the most natural voice
   installed for each language unless --voice names one: tests/voice/voices.py) at
   real-time pace, as a carrier does, and times end of speech -> first reply media frame. The same
   utterances go once with the turn model (smartTurn=on) and once with the fixed 1.8 s silence
   (smartTurn=off), interleaved, so both rules see the same load. Per-stage medians (ASR, Rasa,
   TTS first byte) come from the server's own per-turn log lines.
2. Capacity (calls per core): N simultaneous calls on the one server, each a caller who speaks a
   complete utterance in real time (20 ms frames at the carrier's pace, the line live throughout),
   listens to the whole reply as a phone plays it (the carrier echoes each mark once its audio
   would have played), pauses, and speaks again, for several turns. For each N: end of speech ->
   first reply audio p50/p95; the largest N at which p50 <= 1.0 s and p95 <= 1.5 s still hold (and,
   for comparison, at which the smart rule is still no slower than the fixed rule with one call);
   calls per core = N / CPUs.
3. Offline, on the whole fixture set (tests/voice/phone/turn_fixtures.py, with Whisper for the
   transcript veto): how often a 1.0–2.0 s pause inside an unfinished sentence ends the turn early,
   for both rules, how long complete utterances wait, and the turn model's inference time.

    python -m tests.bench_phone                       # all three parts (make bench)
    python -m tests.bench_phone --parts capacity --calls 1,2,4,6,8 --turns 3
    python -m tests.bench_phone --quick               # capacity only, 1,2,4 calls, 2 turns (a few minutes)
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import re
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import websockets

from tests.bench import machine
from tests.servers import Servers
from tests.voice.phone.caller_audio import FRAME, frames, silence
from tests.voice.phone.carrier import FakeTwilio
from tests.voice.phone.turn_fixtures import (NATURAL, Fixture, early_end_rates, fixtures, pause_evidence,
                                             separation, whisper_words)
from voice.audio import mulaw8k_to_pcm16k
from voice.phone.smart_turn import smart_turn_model, transcript_unfinished
from voice.phone.turns import TurnSettings

TOKEN = "bench-phone-token"
UTTERANCES = 12  # complete utterances per rule, taken evenly from the three languages
RULES = ("on", "off")
TARGET_P50_S, TARGET_P95_S = 1.0, 1.5  # issue 17: end of speech -> first reply audio, complete utterances
CAPACITY_CALLS = (1, 2, 4, 6, 8)
CAPACITY_TURNS = 3  # turns each call speaks (more at small N: see --min-samples)
REPLY_TIMEOUT_S = 30.0  # a turn with no reply audio by then counts as missed (and fails the targets)
GAP_S = 0.6  # the caller's pause between hearing the reply and speaking again
# A request for a person ends the bot's part of the call: the capacity callers ask only the bot.
_TO_A_PERSON = ("转人工", "轉真人", "person")
VOICE = NATURAL  # the callers' voice of every part (--voice)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def one_call(url: str, number: int, speech: bytes, smart: str) -> float:
    async with FakeTwilio(url, TOKEN, caller="+86 139 5555 %04d" % number, call_sid=f"CAbench{number:04d}",
                          parameters={"smartTurn": smart}) as call:
        await call.wait_for(lambda: call.events("mark"), timeout=120)  # the welcome has been sent
        await call.wait_quiet(1.0)
        since = len(call.received)
        end_of_speech, started = 0.0, time.perf_counter()
        for index, frame in enumerate(frames(speech + silence(4.0))):
            await call.send({"event": "media", "streamSid": call.stream_sid,
                             "media": {"track": "inbound", "payload": base64.b64encode(frame).decode()}})
            if index == len(speech) // FRAME:
                end_of_speech = time.perf_counter()
            # Real time on a clock, as the carrier streams: sleeping 20 ms after each send would drift
            # late on a loaded machine (90 sleeps of 20 ms took 1.9-2.9 s at load 7, not 1.8 s).
            await asyncio.sleep(max(0.0, started + (index + 1) * FRAME / 8000 - time.perf_counter()))
            if call.events("media", since):
                break
        await call.wait_for(lambda: call.events("media", since), timeout=120)
        first_byte = call.received_at[since + next(i for i, m in enumerate(call.received[since:])
                                                   if m.get("event") == "media")]
        return first_byte - end_of_speech


def utterances(voice: str) -> list:
    complete = [f for f in fixtures(voice) if f.pause is None]
    step = len(complete) / UTTERANCES
    return [complete[int(i * step)] for i in range(UTTERANCES)]


def calls(servers: Servers, voices: list) -> tuple:
    """{(voice, rule): latencies}: each utterance in each voice under both rules, interleaved."""
    chosen = {voice: utterances(voice) for voice in voices}
    latencies = {(voice, rule): [] for voice in voices for rule in RULES}
    url = stream_url(servers)
    logs = log_sizes(servers)
    first = chosen[voices[0]][0]
    asyncio.run(one_call(url, 9999, first.mulaw[:int(first.speech_end_s * 8000)], "on"))  # warm-up
    load_before = os.getloadavg()[0]
    for index in range(UTTERANCES):
        for number, voice in enumerate(voices):
            fixture = chosen[voice][index]
            speech = fixture.mulaw[:int(fixture.speech_end_s * 8000)]
            for rule in (RULES if index % 2 == 0 else RULES[::-1]):
                call = (index * len(voices) + number) * 2 + (rule == "off")
                latencies[voice, rule].append(asyncio.run(one_call(url, call, speech, rule)))
    load_after = os.getloadavg()[0]
    return latencies, server_stages(servers, logs)[1:], load_before, load_after


def stream_url(servers: Servers) -> str:
    return servers.url.replace("http://", "ws://") + "/webhooks/phone/stream"


def log_sizes(servers: Servers) -> dict:
    return {log: log.stat().st_size for log in servers.workdir.glob("*.log")}


def server_stages(servers: Servers, sizes: dict) -> list:
    """The call's per-turn log lines (whichever server process writes them) since `sizes` = log_sizes():
    (ASR, Rasa, TTS first byte, total) ms each."""
    text = ""
    for log in servers.workdir.glob("*.log"):
        with open(log, "rb") as file:
            file.seek(sizes.get(log, 0))
            text += file.read().decode(errors="replace")
    return re.findall(r"turn: ASR (\d+) ms, Rasa (\d+) ms, TTS first byte (\d+) ms, end of speech -> first audio "
                      r"(\d+) ms", text)


# ---- capacity: simultaneous calls ----------------------------------------------------------------

class PlayingCarrier(FakeTwilio):
    """A carrier that plays the bot's audio in real time: each mark is echoed when the audio before it
    would have finished playing, and `clear` drops what was queued (its marks echoed at once), as Twilio
    does. So the call's silence timers start when the caller has really heard the prompt."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, echo_marks=False, **kwargs)
        self.played_until = 0.0  # loop time when the queued audio will have played
        self.pending_marks: dict = {}  # name -> the timer that echoes it

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                self.received.append(message)
                self.received_at.append(time.perf_counter())
                event, now = message.get("event"), loop.time()
                if event == "media":
                    self.played_until = max(self.played_until, now) + FRAME / 8000
                elif event == "mark":
                    name = message["mark"]["name"]
                    self.pending_marks[name] = loop.call_later(max(0.0, self.played_until - now),
                                                               lambda n=name: asyncio.ensure_future(self._echo(n)))
                elif event == "clear":
                    self.played_until = now
                    for name in list(self.pending_marks):
                        self.pending_marks[name].cancel()
                        await self._echo(name)
        except websockets.ConnectionClosed:
            pass

    async def _echo(self, name: str) -> None:
        if self.pending_marks.pop(name, None) is not None and not self.ws.closed:
            await self.send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    def heard_everything(self, quiet_s: float) -> bool:
        """Everything sent has played and nothing new came for `quiet_s` (the bot has finished its turn)."""
        loop_now = asyncio.get_running_loop().time()
        last = self.received_at[-1] if self.received_at else 0.0
        return (not self.pending_marks and loop_now >= self.played_until
                and time.perf_counter() - last >= quiet_s)


class Caller:
    """One caller on a live line: 20 ms frames at the carrier's pace, silence unless they are speaking."""

    def __init__(self, carrier: PlayingCarrier) -> None:
        self.carrier = carrier
        self.speech = b""  # what they are saying now, not yet sent
        self.speech_ended = asyncio.Event()
        self.end_of_speech = 0.0
        self.behind_s = 0.0  # the most the line fell behind real time (the bench's own load)
        self.closed = False

    def say(self, mulaw: bytes) -> None:
        self.speech, self.speech_ended = mulaw, asyncio.Event()

    async def line(self) -> None:
        loop = asyncio.get_running_loop()
        started, sent = loop.time(), 0
        silent = silence(FRAME / 8000)
        while not self.closed:
            frame, last_word = silent, False
            if self.speech:
                frame, self.speech = self.speech[:FRAME].ljust(FRAME, silent[:1]), self.speech[FRAME:]
                last_word = not self.speech
            try:
                await self.carrier.send({"event": "media", "streamSid": self.carrier.stream_sid,
                                         "media": {"track": "inbound", "payload": base64.b64encode(frame).decode()}})
            except websockets.ConnectionClosed:
                return
            if last_word:
                self.end_of_speech = time.perf_counter()
                self.speech_ended.set()
            sent += 1
            due = started + sent * FRAME / 8000
            self.behind_s = max(self.behind_s, loop.time() - due)
            await asyncio.sleep(max(0.0, due - loop.time()))


async def until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def capacity_call(url: str, number: int, turns: list, delay_s: float) -> dict:
    """A caller who waits out the welcome, then speaks each turn and listens to the whole reply."""
    await asyncio.sleep(delay_s)
    result = {"latencies": [], "missed": 0, "behind_s": 0.0}
    async with PlayingCarrier(url, TOKEN, caller="+86 139 6666 %04d" % number,
                              call_sid=f"CAcap{number:05d}", parameters={"smartTurn": "on"}) as carrier:
        caller = Caller(carrier)
        line = asyncio.ensure_future(caller.line())
        try:
            await until(lambda: carrier.events("mark"), 120)  # the welcome
            await until(lambda: carrier.heard_everything(1.0), 120)
            for speech in turns:
                await asyncio.sleep(GAP_S)
                since = len(carrier.received)
                caller.say(speech)
                await caller.speech_ended.wait()
                if not await until(lambda: carrier.events("media", since), REPLY_TIMEOUT_S):
                    result["missed"] += 1
                    continue
                first = since + next(i for i, m in enumerate(carrier.received[since:]) if m.get("event") == "media")
                result["latencies"].append(carrier.received_at[first] - caller.end_of_speech)
                await until(lambda: carrier.heard_everything(1.0), 120)
        finally:
            caller.closed = True
            await line
            result["behind_s"] = caller.behind_s
    return result


def capacity_utterances() -> list:
    return [f for f in fixtures(VOICE) if f.pause is None and not any(w in f.text for w in _TO_A_PERSON)]


async def simultaneous_calls(url: str, count: int, turns: int, first_number: int) -> list:
    pool = capacity_utterances()
    calls = []
    for index in range(count):
        number = first_number + index
        speeches = [pool[(number * 7 + turn) % len(pool)] for turn in range(turns)]
        spread = index * 2.0 / count  # callers arrive within 2 s, not on the same frame
        calls.append(capacity_call(url, number, [_speech(f) for f in speeches], spread))
    return await asyncio.gather(*calls)


def _speech(fixture: Fixture) -> bytes:
    return fixture.mulaw[:int(fixture.speech_end_s * 8000)]


def capacity(servers: Servers, levels: list, turns: int, min_samples: int) -> list:
    """Each level of simultaneous calls in turn on the same server; one row of figures per level."""
    url = stream_url(servers)
    rows, number = [], 0
    asyncio.run(simultaneous_calls(url, 1, 1, 9999))  # warm-up: the first turn loads and caches
    for count in levels:
        per_call = max(turns, math.ceil(min_samples / count))
        logs = log_sizes(servers)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        results = asyncio.run(simultaneous_calls(url, count, per_call, number))
        number += count
        latencies = [value for r in results for value in r["latencies"]]
        missed = sum(r["missed"] for r in results)
        stages = server_stages(servers, logs)
        rows.append({
            "calls": count, "turns": len(latencies) + missed, "missed": missed,
            "p50": statistics.median(latencies) if latencies else math.inf,
            "p95": percentile(latencies, 0.95) if latencies and not missed else math.inf,
            # the server's own medians: ASR, Rasa, TTS first byte, and its end of turn -> first audio
            "stages_ms": [statistics.median(int(s[i]) for s in stages) if stages else 0 for i in range(4)],
            "behind_ms": max(r["behind_s"] for r in results) * 1000,
            "load": (load_before, os.getloadavg()[0]), "seconds": time.perf_counter() - started,
        })
        print(f"  {count} call(s): p50 {rows[-1]['p50'] * 1000:.0f} ms, p95 {rows[-1]['p95'] * 1000:.0f} ms "
              f"({rows[-1]['turns']} turns, {missed} missed)", flush=True)
    return rows


def largest_holding(rows: list, p50_s: float, p95_s: float) -> int:
    """The largest N up to which every level measured kept p50 <= p50_s and p95 <= p95_s (0: not even one)."""
    held = 0
    for row in rows:
        if row["p50"] > p50_s or row["p95"] > p95_s:
            break
        held = row["calls"]
    return held


def print_capacity(rows: list, fixed: tuple) -> None:
    cores = os.cpu_count() or 1
    print(f"capacity: simultaneous calls on one server ({cores} CPUs), smart end of turn, each caller speaking "
          f"complete utterances in real time and hearing each reply out; end of speech -> first reply audio:")
    print(f"  {'calls':>5s} {'turns':>5s} {'missed':>6s} {'p50':>8s} {'p95':>8s} | server medians: {'ASR':>7s} "
          f"{'Rasa':>7s} {'TTS':>7s} {'turn->audio':>11s} | {'line lag':>8s} {'load 1m':>11s}")
    for row in rows:
        asr, rasa, tts, total = row["stages_ms"]
        print(f"  {row['calls']:5d} {row['turns']:5d} {row['missed']:6d} {row['p50'] * 1000:5.0f} ms "
              f"{row['p95'] * 1000:5.0f} ms |                 {asr:4.0f} ms {rasa:4.0f} ms {tts:4.0f} ms "
              f"{total:8.0f} ms | {row['behind_ms']:5.0f} ms {row['load'][0]:4.1f}->{row['load'][1]:4.1f}")
    print("  (line lag: the most a caller's 20 ms frames fell behind real time, the bench's own share of the CPUs)")
    held = largest_holding(rows, TARGET_P50_S, TARGET_P95_S)
    print(f"  targets p50 <= {TARGET_P50_S:.1f} s, p95 <= {TARGET_P95_S:.1f} s hold up to {held} simultaneous "
          f"call(s): {held / cores:.1f} calls per core")
    if fixed:
        fixed_p50, fixed_p95 = fixed
        as_fixed = largest_holding(rows, fixed_p50, fixed_p95)
        print(f"  no slower than the fixed {TurnSettings(smart_turn=False).end_silence_s:.1f} s rule with one call "
              f"(p50 {fixed_p50 * 1000:.0f} ms, p95 {fixed_p95 * 1000:.0f} ms) up to {as_fixed} call(s): "
              f"{as_fixed / cores:.1f} calls per core")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", default="latency,capacity,offline",
                        help="which parts to run, comma-separated: latency, capacity, offline")
    parser.add_argument("--calls", default=",".join(map(str, CAPACITY_CALLS)),
                        help="capacity levels: numbers of simultaneous calls, e.g. 1,2,4,6,8")
    parser.add_argument("--turns", type=int, default=CAPACITY_TURNS, help="turns each capacity call speaks")
    parser.add_argument("--min-samples", type=int, default=8,
                        help="turns measured at each level at least (small levels speak more turns per call)")
    parser.add_argument("--quick", action="store_true", help="capacity only, at 1, 2 and 4 calls, 2 turns each")
    parser.add_argument("--voices", default=NATURAL,
                        help="the callers' voices (tests/voice/voices.py), comma-separated, e.g. natural,espeak: the "
                             "latency part runs each side by side, the other parts the first")
    options = parser.parse_args()
    if options.quick:
        options.parts, options.calls, options.turns, options.min_samples = "capacity", "1,2,4", 2, 4
    options.parts = set(options.parts.split(","))
    options.calls = [int(n) for n in options.calls.split(",")]
    options.voices = options.voices.split(",")
    return options


def main() -> None:
    global VOICE
    options = arguments()
    VOICE = options.voices[0]
    latencies = rows = None
    print(f"# Phone benchmark on {machine()}; uptime: {os.popen('uptime').read().strip()}; callers' voice: "
          + ", ".join(f"{lang} {voice}" for lang, voice in sorted({(f.language, f.voice) for f in fixtures(VOICE)})),
          flush=True)
    if options.parts & {"latency", "capacity"}:
        with tempfile.TemporaryDirectory() as workdir:
            servers = Servers(Path(workdir), preload_voice=True, extra_env={"ANXIN_PHONE_STREAM_TOKEN": TOKEN}).start()
            try:
                if "latency" in options.parts:
                    latencies, stages, load_before, load_after = calls(servers, options.voices)
                    for voice in options.voices:
                        print_latency(voice, {rule: latencies[voice, rule] for rule in RULES}, stages, load_before,
                                      load_after)
                    latencies = {rule: latencies[VOICE, rule] for rule in RULES}
                if "capacity" in options.parts:
                    rows = capacity(servers, options.calls, options.turns, options.min_samples)
            finally:
                servers.stop()
        if rows:
            fixed = (statistics.median(latencies["off"]), percentile(latencies["off"], 0.95)) if latencies else ()
            print_capacity(rows, fixed)
            print(f"  uptime after: {os.popen('uptime').read().strip()}")
    if "offline" in options.parts:
        offline()


def print_latency(voice: str, latencies: dict, stages: list, load_before: float, load_after: float) -> None:
    print(f"end of speech -> first reply audio byte, {UTTERANCES} complete utterances ({languages(voice)}), one call "
          f"each (load average {load_before:.1f} before the calls, {load_after:.1f} after):")
    fixed = TurnSettings(smart_turn=False)
    print(f"  {'rule':32s} {'p50':>8s} {'p95':>8s}")
    for rule, name in (("on", "smart (0.25 s pause + model)"), ("off", f"fixed ({fixed.end_silence_s:.1f} s silence)")):
        values = latencies[rule]
        print(f"  {name:32s} {statistics.median(values) * 1000:6.0f} ms {percentile(values, 0.95) * 1000:6.0f} ms")
    spoken = [f.language for f in utterances(voice)]  # the latencies are in the utterances' order
    print("  p50 per language, smart / fixed: " + ", ".join(
        f"{lang} " + " / ".join(f"{statistics.median(v for v, s in zip(latencies[rule], spoken) if s == lang) * 1000:.0f}"
                                for rule in RULES) + " ms" for lang in sorted(set(spoken))))
    ratio = statistics.median(latencies["on"]) / statistics.median(latencies["off"])
    print(f"  smart / fixed, p50: {ratio:.2f} ({abs(1 - ratio) * 100:.0f}% {'lower' if ratio <= 1 else 'higher'})")
    if stages:
        print("  server per-turn medians: " + ", ".join(
            f"{name} {statistics.median(int(s[index]) for s in stages)} ms"
            for index, name in enumerate(("ASR", "Rasa", "TTS first byte", "end-of-turn -> first audio"))), flush=True)


def languages(voice: str) -> str:
    return ", ".join(f"{n} {lang} {name}" for (lang, name), n in sorted(
        Counter((f.language, f.voice) for f in utterances(voice)).items()))


SENTENCE_END = re.compile(r"[。？！?!.]$")  # Whisper's sentence-final punctuation ("..." trails off)
EARLY_TARGET = 0.05


def sentence_final(words: str) -> bool:
    words = words.strip()
    return bool(SENTENCE_END.search(words)) and not words.endswith(("...", "…")) and not transcript_unfinished(words)


def combined_wait_s(evidence, high: float, low: float, confirm_s: float) -> float:
    """The silence a combined verdict waits at this pause: at once when the model is sure, after
    confirm_s when it is fairly sure and the words end a sentence, else the elder's allowance."""
    settings = TurnSettings(smart_turn=True)
    if transcript_unfinished(evidence.words):
        return settings.unfinished_silence_s
    if evidence.probability > high:
        return settings.pause_s
    if evidence.probability >= low and sentence_final(evidence.words):
        return confirm_s
    return settings.unfinished_silence_s


def combined_figures(evidence, high: float, low: float, confirm_s: float) -> tuple:
    """(share of mid-sentence pauses it ends early, mean wait after a sentence's last word)."""
    inside = [e for e in evidence if not e.finished and e.fixture.pause]
    ends = [e for e in evidence if e.finished]
    early = sum(combined_wait_s(e, high, low, confirm_s) < e.fixture.pause[1] for e in inside) / len(inside)
    return early, statistics.mean(combined_wait_s(e, high, low, confirm_s) for e in ends)


def report_evidence(evidence) -> None:
    ends = [e for e in evidence if e.finished]
    inside = [e for e in evidence if not e.finished]
    print(f"what the rule has to go on, {len(ends)} pauses after a sentence's last word, {len(inside)} inside one:")
    print(f"  turn model: AUC {separation([e.probability for e in ends], [e.probability for e in inside]):.2f} "
          f"(0.5 = chance); says complete (> 0.5) at {statistics.mean(e.probability > 0.5 for e in ends) * 100:.0f}% "
          f"of sentence ends, {statistics.mean(e.probability > 0.5 for e in inside) * 100:.0f}% of pauses inside")
    for language in ("zh", "yue", "en"):
        final = [sentence_final(e.words) for e in ends if e.fixture.language == language]
        within = [sentence_final(e.words) for e in inside if e.fixture.language == language]
        print(f"  Whisper's words end a sentence (。？！.?, no filler), {language}: {statistics.mean(final) * 100:.0f}% "
              f"at sentence ends, {statistics.mean(within) * 100:.0f}% at pauses inside")
    index = {id(fixture): number for number, fixture in enumerate(fixtures(VOICE))}
    halves = [[e for e in evidence if index[id(e.fixture)] % 2 == half] for half in (0, 1)]
    grid = [(high, low, confirm) for high in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0) for low in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
            for confirm in (0.6, 0.8, 1.0, 1.2, 1.4)]
    # The best thresholds on the tuning half: early ends within the target if any do, then the shortest wait.
    tuned = {point: combined_figures(halves[0], *point) for point in grid}
    high, low, confirm = min(grid, key=lambda point: (max(tuned[point][0] - EARLY_TARGET, 0), tuned[point][1]))
    today = (0.5, 1.0, 0.0)  # no confirm tier: the model alone (with the veto) or the allowance
    print("  early ends / mean wait at sentence ends, tuning half | checking half:")
    for name, point in (("today's rule (model > 0.5, else the allowance)", today),
                        (f"combined, tuned (model > {high}, or >= {low} with a sentence-final transcript after "
                         f"{confirm} s)", (high, low, confirm))):
        print(f"    {name}: " + " | ".join("{:.1%} / {:.2f} s".format(*combined_figures(half, *point))
                                          for half in halves))


def offline() -> None:
    offline_load = os.getloadavg()[0]
    rates = early_end_rates(words=whisper_words, voice=VOICE)
    inference, cpu = [], []
    model = smart_turn_model()
    for fixture in fixtures(VOICE):  # the model alone, on each whole utterance plus a 0.25 s pause
        pcm = mulaw8k_to_pcm16k(fixture.mulaw[:int((fixture.speech_end_s + 0.25) * 8000)])
        started, cpu_started = time.perf_counter(), time.thread_time()
        model.probability(pcm)
        inference.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)  # one thread: what it costs without contention
    print(f"offline (load average {offline_load:.1f} before it):")
    print(f"mid-sentence pauses (1.0-2.0 s) that end the turn early, {rates['paused']} unfinished utterances:")
    print(f"  smart {rates['smart_early'] * 100:.1f}%   fixed {rates['fixed_early'] * 100:.1f}%")
    print(f"complete utterances ({rates['complete']}) ended at the short pause by the smart rule: "
          f"{rates['smart_fast'] * 100:.0f}%; audio-time wait after the last word, mean: smart "
          f"{statistics.mean(rates['smart_waits_s']):.2f} s, fixed {statistics.mean(rates['fixed_waits_s']):.2f} s")
    print(f"turn-model inference (features + model, one 8 s window, 1 thread), {len(inference)} runs: wall "
          f"p50 {statistics.median(inference):.0f} ms, p95 {percentile(inference, 0.95):.0f} ms; CPU time "
          f"p50 {statistics.median(cpu):.0f} ms, p95 {percentile(cpu, 0.95):.0f} ms")
    report_evidence(pause_evidence(words=whisper_words, voice=VOICE))


if __name__ == "__main__":
    main()
