"""The Rasa server never loads a speech engine: Whisper and TTS run in the voice gateway (issue 17)."""
import subprocess
import sys

from tests.servers import ROOT

# Import what `python -m bot.serve` imports and every channel credentials.yml mounts, as Rasa does.
PROBE = """
import sys
import yaml
import bot.serve
for name in yaml.safe_load(open("bot/credentials.yml")):
    __import__(name.rsplit(".", 1)[0])
speech = ("faster_whisper", "ctranslate2", "onnxruntime", "edge_tts", "av", "voice.asr", "voice.recognizer",
          "voice.tts", "voice.audio", "voice.voice_message", "voice.phone")
print(sorted(m for m in sys.modules if m in speech or m.startswith(tuple(s + "." for s in speech))))
"""


def loaded_speech_modules(probe: str, home) -> str:
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", probe], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(home)})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_rasa_server_and_its_channels_import_no_speech_engine(tmp_path):
    assert loaded_speech_modules(PROBE, tmp_path) == "[]"


def test_the_probe_would_see_a_speech_engine(tmp_path):
    """The check can fail: the gateway's own modules load Whisper's wrapper."""
    assert "voice.asr" in loaded_speech_modules(PROBE.replace("import bot.serve", "import bot.serve, voice.gateway.app"),
                                                tmp_path)
