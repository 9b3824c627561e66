"""Phone voice turn latency: end of the caller's speech -> first reply audio byte (`make bench`).

Starts the real action + Rasa servers, then places calls through the phone WebSocket, each
streaming a ~4 s Mandarin question (espeak-ng speech) at real-time pace, as a carrier does, and
timing the first reply media frame. The end-of-turn silence the gateway waits for (1.8 s by
default, so that old callers' pauses do not cut them off) is part of what a caller waits, so it is
reported as well as the processing time after it. Per-stage medians (ASR, Rasa, TTS first byte)
come from the server's own per-turn log lines.
"""
from __future__ import annotations

import asyncio
import base64
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from tests.bench import machine
from tests.servers import Servers
from tests.voice.phone.caller_audio import FRAME, frames, silence, spoken_mulaw
from tests.voice.phone.carrier import FakeTwilio
from voice.phone.turns import TurnSettings

TOKEN = "bench-phone-token"
QUESTION = "我想查一下下次交费是什么时候"
CALLS = 10


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def one_call(url: str, number: int, speech: bytes) -> float:
    async with FakeTwilio(url, TOKEN, caller="+86 139 5555 00%02d" % number, call_sid=f"CAbench{number:04d}") as call:
        await call.wait_for(lambda: call.events("mark"), timeout=120)  # the welcome has been sent
        await call.wait_quiet(1.0)
        since = len(call.received)
        end_of_speech = 0.0
        for index, frame in enumerate(frames(speech + silence(3.0))):
            await call.send({"event": "media", "streamSid": call.stream_sid,
                             "media": {"track": "inbound", "payload": base64.b64encode(frame).decode()}})
            if index == len(speech) // FRAME:
                end_of_speech = time.perf_counter()
            await asyncio.sleep(FRAME / 8000)  # real time, as the carrier streams
            if call.events("media", since):
                break
        await call.wait_for(lambda: call.events("media", since), timeout=120)
        first_byte = call.received_at[since + next(i for i, m in enumerate(call.received[since:])
                                                   if m.get("event") == "media")]
        return first_byte - end_of_speech


def main() -> None:
    speech = spoken_mulaw(QUESTION, "zh")
    with tempfile.TemporaryDirectory() as workdir:
        servers = Servers(Path(workdir), extra_env={"ANXIN_PHONE_STREAM_TOKEN": TOKEN}).start()
        try:
            url = servers.url.replace("http://", "ws://") + "/webhooks/phone/stream"
            load_before = os.getloadavg()[0]
            latencies = [asyncio.run(one_call(url, n, speech)) for n in range(CALLS + 1)][1:]  # first = warm-up
            load_after = os.getloadavg()[0]
            log = (Path(workdir) / "rasa.log").read_text(errors="replace")
        finally:
            servers.stop()
    stages = re.findall(r"turn: ASR (\d+) ms, Rasa (\d+) ms, TTS first byte (\d+) ms, end of speech -> first audio "
                        r"(\d+) ms", log)[1:]
    end_silence = TurnSettings().end_silence_s
    print(f"# Phone benchmark on {machine()}; load average {load_before:.1f} before, {load_after:.1f} after")
    print(f"phone turn, {len(speech) / 8000:.1f} s utterance, {len(latencies)} calls, end-of-turn silence "
          f"{end_silence:.1f} s")
    print(f"  end of speech -> first reply audio byte: p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms")
    after = [x - end_silence for x in latencies]
    print(f"  end-of-turn decision ({end_silence:.1f} s later) -> first reply audio byte: p50 {statistics.median(after) * 1000:.0f} ms, "
          f"p95 {percentile(after, 0.95) * 1000:.0f} ms")
    if stages:
        for index, name in enumerate(("ASR", "Rasa", "TTS first byte", "server total")):
            print(f"  {name}: median {statistics.median(int(s[index]) for s in stages)} ms")


if __name__ == "__main__":
    main()
