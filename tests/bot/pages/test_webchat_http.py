"""The web chat page's HTTP side: headers, its own files, the vendored socket.io client, read-aloud.

The webchat blueprint runs in a real Sanic server (a subprocess on a free port, mounted the way
Rasa mounts channels); read-aloud is forwarded to a real voice gateway (python -m voice.gateway),
which synthesizes real speech (espeak-ng: edge-tts is unreachable here).
"""
import io
import json
import subprocess
import sys
import time
import wave

import pytest
import requests

from tests.servers import ROOT, TEST_GATEWAY_SECRET, free_port

APP = """
import sys
from sanic import Sanic
from rasa.core.channels.channel import register
from bot.pages.webchat import WebChatPage

async def nobody(message):
    pass

app = Sanic("webchat_test")
register([WebChatPage()], app, route="/webhooks/")
app.run(host="127.0.0.1", port=int(sys.argv[1]), access_log=False, motd=False)
"""


def started(command, env, workdir, log_name: str, ready_url: str) -> subprocess.Popen:
    log = open(workdir / log_name, "wb")
    process = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(ready_url, timeout=2)
            return process
        except requests.RequestException:
            time.sleep(0.3)
    process.kill()
    pytest.fail(f"{log_name} did not start:\n" + (workdir / log_name).read_text(errors="replace")[-2000:])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port, gateway_port = free_port(), free_port()
    workdir = tmp_path_factory.mktemp("webchat-http")
    env = {"PYTHONPATH": str(ROOT), "ANXIN_TTS_CACHE": str(workdir / "tts"), "ANXIN_TTS_EDGE_TIMEOUT": "0.5",
           "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(workdir), "ANXIN_VOICE_PRELOAD": "0",
           "ANXIN_VOICE_GATEWAY_PORT": str(gateway_port), "ANXIN_VOICE_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}",
           "ANXIN_GATEWAY_SECRET": TEST_GATEWAY_SECRET}
    url = f"http://127.0.0.1:{port}"
    processes = [started(["-m", "voice.gateway"], env, workdir, "gateway.log", f"http://127.0.0.1:{gateway_port}/health"),
                 started(["-c", APP, str(port)], env, workdir, "server.log", f"{url}/webhooks/webchat/")]
    yield url
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def csp(response):
    return dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))


def test_the_page_has_a_strict_content_security_policy(server):
    page = requests.get(f"{server}/webhooks/webchat/", timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = csp(page)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"  # no inline code at all
    assert "unsafe" not in page.headers["Content-Security-Policy"]
    host = server.split("//")[1]
    assert policy["connect-src"].split() == ["'self'", f"ws://{host}", f"wss://{host}"]
    assert policy["frame-ancestors"] == "'none'"
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in page.text and "<style>" not in page.text and " style=" not in page.text
    assert 'src="vendor/socket.io-4.8.4.min.js"' in page.text and 'src="chat.js"' in page.text


def test_a_forged_host_cannot_add_to_the_policy(server):
    page = requests.get(f"{server}/webhooks/webchat/", headers={"Host": "evil.test; script-src *"}, timeout=5)
    assert "evil" not in page.headers["Content-Security-Policy"]
    assert csp(page)["script-src"] == "'self'"


def test_without_the_slash_the_page_redirects_to_it(server):
    page = requests.get(f"{server}/webhooks/webchat", allow_redirects=False, timeout=5)
    assert page.status_code in (301, 302, 307, 308)
    assert page.headers["Location"].endswith("/webhooks/webchat/")


def test_the_vendored_socket_io_client_is_served_with_a_long_cache_and_its_licence(server):
    script = requests.get(f"{server}/webhooks/webchat/vendor/socket.io-4.8.4.min.js", timeout=5)
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "max-age=31536000" in script.headers["Cache-Control"] and "immutable" in script.headers["Cache-Control"]
    assert script.text.startswith("/*!\n * Socket.IO v4.8.4") and "Released under the MIT License" in script.text[:200]
    assert (ROOT / "bot/pages/web/vendor/socket.io-4.8.4.min.js").read_bytes() == script.content
    assert "MIT License" in (ROOT / "bot/pages/web/vendor/socket.io-client.LICENSE").read_text()
    missing = requests.get(f"{server}/webhooks/webchat/vendor/../../../.env", timeout=5)
    assert missing.status_code == 404
    assert requests.get(f"{server}/webhooks/webchat/vendor/other.js", timeout=5).status_code == 404


def test_the_page_script_and_style_are_revalidated(server):
    for name, kind in (("chat.js", "text/javascript"), ("chat.css", "text/css")):
        asset = requests.get(f"{server}/webhooks/webchat/{name}", timeout=5)
        assert asset.status_code == 200 and asset.headers["Content-Type"].startswith(kind)
        assert asset.headers["Cache-Control"] == "no-cache"
        assert asset.content == (ROOT / "bot/pages/web" / name).read_bytes()


def speak(server, body, **kwargs):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(f"{server}/webhooks/webchat/speak", data=data, timeout=60,
                         headers={"Content-Type": "application/json"}, **kwargs)


def seconds_of_ogg(data: bytes) -> float:
    wav = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", "-", "-f", "wav", "-"], input=data,
                         capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav)) as audio:
        return audio.getnframes() / audio.getframerate()


def test_read_aloud_returns_speech(server):
    answer = speak(server, {"text": "您的保单下次交费日是12月10日。", "language": "zh-Hans", "options": ["交保费", "转人工"]})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "audio/ogg" and answer.headers["Cache-Control"] == "no-store"
    assert answer.content[:4] == b"OggS"
    assert seconds_of_ogg(answer.content) > 2  # a sentence and two options, not a blip
    english = speak(server, {"text": "Your next premium is due on December 10."})  # language detected
    assert english.status_code == 200 and english.content[:4] == b"OggS"


@pytest.mark.parametrize("body", [b"not json", b"null", b"[]", {"language": "en"}, {"text": 42},
                                  {"text": "   "}, {"text": "hi", "options": "交保费"}, {"text": "hi", "options": [1]},
                                  {"text": "https://anxin.test/only-a-link"}])
def test_bad_read_aloud_requests_get_a_polite_400(server, body):
    answer = speak(server, body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_request" and answer.json()["message"]


def test_oversize_read_aloud_is_refused_in_the_customers_language(server):
    answer = speak(server, {"text": "长" * 1001, "language": "en"})
    assert answer.status_code == 413
    assert answer.json() == {"error": "too_long", "message": "This text is too long to read aloud."}
    answer = speak(server, {"text": "好", "options": ["长" * 80] * 13})
    assert answer.status_code == 413 and "太长" in answer.json()["message"]


def test_read_aloud_is_rate_limited_per_client(server):
    # (runs last: it spends this client's budget) the same short text, so synthesis is cached and fast
    answers = [speak(server, {"text": "好的。", "language": "zh-Hans"}) for _ in range(12)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[0] == 200 and 429 in statuses, statuses
    refused = answers[statuses.index(429)].json()
    assert refused["error"] == "busy" and "稍等" in refused["message"]


def test_without_the_voice_gateway_read_aloud_is_refused_politely(tmp_path):
    """The page's server alone, its gateway not running: the usual no_voice refusal, never a 500."""
    port, nobody = free_port(), free_port()
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path),
           "ANXIN_VOICE_GATEWAY_URL": f"http://127.0.0.1:{nobody}", "ANXIN_GATEWAY_SECRET": TEST_GATEWAY_SECRET}
    url = f"http://127.0.0.1:{port}"
    process = started(["-c", APP, str(port)], env, tmp_path, "server.log", f"{url}/webhooks/webchat/")
    try:
        answer = speak(url, {"text": "Your next premium is due on December 10.", "language": "en"})
        assert answer.status_code == 503
        assert answer.json() == {"error": "no_voice",
                                 "message": "Reading aloud is not available right now. Please read the text."}
        assert requests.get(f"{url}/webhooks/webchat/", timeout=5).status_code == 200  # the page itself still works
    finally:
        process.terminate()
        process.wait(timeout=20)

