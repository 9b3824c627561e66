"""`make bench` (voice part): ASR real-time factor per engine on the same audio and weights, TTS
latency, the voice-message turn latency through real servers, and peak memory per engine.

Each engine is measured in its own subprocess so its peak RSS is its own. The machine is shared,
so besides the wall-clock real-time factor (RTF) the CPU time per second of audio (`cpu_rtf`, all
threads) and the load average are reported: wall time swings with the other jobs, CPU time less.
faster-whisper is measured as configured (speech + margin encoded, at least 15 s) and with
Whisper's full 30-s window (`ANXIN_ASR_ENCODER_MARGIN=0`), the like-for-like comparison with
openai-whisper, which always encodes 30 s.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.bench import machine
from tests.servers import Servers

ROOT = Path(__file__).resolve().parents[1]
ASR_RUNS = 5
TURNS = 20
UTTERANCES = [("我想查一下我的保单，下次交费是什么时候？", "zh"), ("I want to talk to a human agent, please.", "en")]


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def asr_in_subprocess(engine: str, label: str = "", root: Path = ROOT, **env: str) -> dict:
    """RTF of one engine on the same 4-s-ish utterances (and peak RSS), measured in a fresh process.

    `root` may be another checkout (an older commit, to measure "before"); `env` overrides settings.
    """
    code = f"""
import json, os, resource, time
from tests.voice.speech import speech_16k
from voice.asr import get_recognizer
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
started = time.perf_counter(); recognizer = get_recognizer({engine!r}); load = time.perf_counter() - started
audios = [speech_16k(t, l) for t, l in {UTTERANCES!r}]
recognizer.transcribe(audios[0])  # warm-up
seconds = sum(len(a) for a in audios) / 16000 * {ASR_RUNS}
load_before = os.getloadavg()[0]
started, cpu_started = time.perf_counter(), cpu()
for _ in range({ASR_RUNS}):
    texts = [recognizer.transcribe(a).text for a in audios]
spent, cpu_spent = time.perf_counter() - started, cpu() - cpu_started
print(json.dumps({{"load_s": load, "rtf": spent / seconds, "cpu_rtf": cpu_spent / seconds,
                  "audio_s": seconds / {ASR_RUNS}, "loadavg": [load_before, os.getloadavg()[0]],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "texts": texts}}))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                            env={**os.environ, "PYTHONPATH": str(root), **env})
    if result.returncode != 0:
        return {"engine": label or engine, "error": result.stderr.strip().splitlines()[-1]}
    return {"engine": label or engine, **json.loads(result.stdout.strip().splitlines()[-1])}


def tts_latency() -> dict:
    from voice import tts

    os.environ["ANXIN_TTS_CACHE"] = tempfile.mkdtemp()
    tts.edge_breaker.reset()
    started = time.perf_counter()
    first = tts.synthesize("您好，请问有什么可以帮您？", tts.voice_for("zh-Hans"))
    first_call = time.perf_counter() - started
    results = {"first_call_engine": first.engine, "first_call_s": first_call}
    for label, text, voice in [("espeak_zh", "您的保费是六千八百元，请在十二月五日前交。", tts.voice_for("zh-Hans")),
                               ("espeak_yue", "你張保單過咗期二十日，仲喺寬限期入面。", tts.voice_for("yue")),
                               ("espeak_en", "Your premium of 450 yuan is due in three days.", tts.voice_for("en"))]:
        tts.edge_breaker.trip()
        started = time.perf_counter()
        speech = tts.synthesize(text, voice)
        uncached = time.perf_counter() - started
        started = time.perf_counter()
        tts.synthesize(text, voice)
        results[label] = {"uncached_s": uncached, "cached_s": time.perf_counter() - started,
                          "audio_s": speech.seconds}
    return results


def voice_turns() -> dict:
    """POST a spoken request (~6 s with its pauses) to /webhooks/voice/message: request sent -> JSON with reply audio URLs."""
    from tests.voice.speech import speech_wav

    workdir = Path(tempfile.mkdtemp())
    servers = Servers(workdir, preload_voice=True,
                      extra_env={"ANXIN_RATE_LIMIT_BURST": "100", "ANXIN_RATE_LIMIT_PER_MINUTE": "600",
                                 "ANXIN_TTS_CACHE": str(workdir / "tts")}).start()
    try:
        body = speech_wav(*UTTERANCES[0])
        from voice.audio import decode_to_pcm16k
        utterance_seconds = len(decode_to_pcm16k(body)) / 16000
        totals, first_audio = [], []
        for index in range(TURNS):
            started = time.perf_counter()
            reply = requests.post(f"{servers.url}/webhooks/voice/message", params={"sender": f"bench-{index}"},
                                  data=body, headers={"Content-Type": "audio/wav"}, timeout=120)
            reply.raise_for_status()
            answered = time.perf_counter()
            url = reply.json()["messages"][0]["audio_url"]
            with requests.get(url, stream=True, timeout=30) as audio:
                next(audio.iter_content(1))
            totals.append(answered - started)
            first_audio.append(time.perf_counter() - started)
        return {"turns": TURNS, "utterance_s": utterance_seconds,
                "reply_json_p50_s": statistics.median(totals), "reply_json_p95_s": _percentile(totals, 0.95),
                "first_audio_byte_p50_s": statistics.median(first_audio),
                "first_audio_byte_p95_s": _percentile(first_audio, 0.95)}
    finally:
        servers.stop()


def main() -> None:
    print(f"# Voice benchmark on {machine()}")
    engines = ["faster-whisper"]
    try:
        import torch  # noqa: F401
        import whisper  # noqa: F401
        engines.append("openai-whisper")
    except ImportError:
        print("openai-whisper not installed (make install-whisper): only faster-whisper is measured")
    asr = {"faster-whisper": asr_in_subprocess("faster-whisper"),
           "faster-whisper 30-s window": asr_in_subprocess("faster-whisper", "faster-whisper 30-s window",
                                                           ANXIN_ASR_ENCODER_MARGIN="0")}
    if "openai-whisper" in engines:
        asr["openai-whisper"] = asr_in_subprocess("openai-whisper")
    for result in asr.values():
        print("ASR", json.dumps(result, ensure_ascii=False))
    reference = asr.get("openai-whisper", {})
    for name in ("faster-whisper", "faster-whisper 30-s window"):
        if "rtf" in reference and "rtf" in asr[name]:
            print(f"{name} vs openai-whisper: {reference['rtf'] / asr[name]['rtf']:.1f}x faster (wall), "
                  f"{reference['cpu_rtf'] / asr[name]['cpu_rtf']:.1f}x less CPU")
    print("TTS", json.dumps(tts_latency(), ensure_ascii=False))
    print("TURN", json.dumps(voice_turns(), ensure_ascii=False))


if __name__ == "__main__":
    main()
