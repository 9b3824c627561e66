"""Speech for old listeners: a voice per language/dialect, the offline engine when edge-tts is down."""
import numpy as np
import pytest

from actions.service.core.settings import get_settings
from tests.voice.hearing import assert_heard
from voice import tts
from voice.audio import resample
from voice.tts import TTSError, mandarin_pinyin, synthesize, voice_for


@pytest.fixture
def tts_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ANXIN_TTS_CACHE", str(tmp_path / "tts"))
    get_settings.cache_clear()
    return tmp_path / "tts"


@pytest.mark.parametrize("language, dialect, voice", [
    ("zh-Hans", "", "zh-CN-XiaoxiaoNeural"),
    ("zh-Hans", "Mandarin", "zh-CN-XiaoxiaoNeural"),
    ("zh-Hans", "Henan Mandarin", "zh-CN-henan-YundengNeural"),
    ("zh-Hans", "东北话", "zh-CN-liaoning-XiaobeiNeural"),
    ("zh-Hans", "Shaanxi", "zh-CN-shaanxi-XiaoniNeural"),
    ("zh-Hant", "", "zh-TW-HsiaoChenNeural"),
    ("zh-Hant", "Cantonese", "zh-HK-HiuMaanNeural"),
    ("yue", "", "zh-HK-HiuMaanNeural"),
    ("en", "Cantonese", "en-US-JennyNeural"),
    ("zh-Hans", "客家话", "espeak-hak"),
])
def test_voice_for_language_and_dialect(language, dialect, voice):
    assert voice_for(language, dialect) == voice


def test_mandarin_goes_to_espeak_as_tone_numbered_pinyin():
    assert mandarin_pinyin("下次交费") == "xia4 ci4 jiao1 fei4"
    # Amounts as numbers, long numbers and years digit by digit, never English digits.
    assert mandarin_pinyin("6,800.00元") == "liu4 qian1 ba1 bai3 yuan2"
    assert mandarin_pinyin("2026年") == "er4 ling2 er4 liu4 nian2"
    assert "yi1 san1 ba1 ling2" in mandarin_pinyin("13800000001")


def speaks(speech) -> bool:
    return speech.audio.size > speech.sample_rate * 0.3 and float(np.abs(speech.audio).max()) > 0.05


def test_a_new_breaker_is_closed_and_pauses_for_the_configured_seconds(monkeypatch):
    monkeypatch.setenv("ANXIN_TTS_BREAKER_SECONDS", "7")
    get_settings.cache_clear()
    breaker = tts.CircuitBreaker()
    assert not breaker.is_open and breaker.seconds == 7
    breaker.trip()
    assert breaker.is_open


def test_falls_back_to_espeak_and_opens_the_breaker(tts_cache, monkeypatch):
    tts.edge_breaker.reset()
    # These machines cannot reach Microsoft's service; elsewhere, point edge-tts at a closed port.
    monkeypatch.setattr(tts, "_edge_tts", lambda *a: (_ for _ in ()).throw(OSError("unreachable")))
    speech = synthesize("您好，请问有什么可以帮您？", voice_for("zh-Hans"))
    assert speech.engine == "espeak-ng" and speaks(speech)
    assert tts.edge_breaker.is_open  # the next turns do not wait for edge-tts again


def test_edge_tts_failure_is_detected_on_a_real_connection(tts_cache):
    tts.edge_breaker.reset()
    speech = synthesize("Your premium is due in three days.", voice_for("en"))
    assert speaks(speech)
    if speech.engine == "espeak-ng":
        assert tts.edge_breaker.is_open


def test_cache_by_text_voice_and_rate(tts_cache):
    tts.edge_breaker.trip()
    first = synthesize("我张保单几时要交钱", voice_for("yue"))
    files = list(tts_cache.glob("*.wav"))
    assert len(files) == 1
    again = synthesize("我张保单几时要交钱", voice_for("yue"))
    assert np.allclose(again.audio, first.audio, atol=1 / 32768) and again.sample_rate == first.sample_rate
    synthesize("我张保单几时要交钱", voice_for("yue"), rate="-30%")
    synthesize("我张保单几时要交钱", voice_for("zh-Hans"))
    assert len(list(tts_cache.glob("*.wav"))) == 3


def test_slower_rate_is_slower(tts_cache):
    tts.edge_breaker.trip()
    normal = synthesize("Please hold the line.", voice_for("en"), rate="+0%")
    slow = synthesize("Please hold the line.", voice_for("en"), rate="-15%")
    assert slow.seconds > normal.seconds * 1.1


def test_nothing_to_say_is_an_error_not_silence(tts_cache):
    with pytest.raises(TTSError):
        synthesize("   ", voice_for("zh-Hans"))


@pytest.mark.parametrize("language, text", [
    ("zh-Hans", "我想查一下我的保单"),
    ("en", "I want to talk to a human agent."),
])
def test_offline_speech_is_understood_by_the_recognizer(tts_cache, recognizer, language, text):
    tts.edge_breaker.trip()
    speech = synthesize(text, voice_for(language))
    assert_heard(recognizer.transcribe(resample(speech.audio, speech.sample_rate, 16000)).text, text)


def test_hakka_characters_are_read_not_spelled(tts_cache):
    speech = synthesize("你好", voice_for("zh-Hans", "Hakka"))
    assert speaks(speech) and speech.seconds < 2  # "Chinese letter, Chinese letter" would be longer
