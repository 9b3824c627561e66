"""Whisper on the bundled weights hears real (espeak-ng) speech, and nothing in silence or noise."""
import re

import numpy as np
import pytest

from tests.voice.hearing import assert_heard
from tests.voice.speech import noise, speech_16k
from voice.asr import LANGUAGES, get_recognizer, is_hallucination
from voice.recognizer import without_prompt_echo
from voice.audio import mulaw8k_to_pcm16k, pcm16k_to_mulaw8k


# Each engine keeps a test that fails when recognition breaks (an error rate near 1), with a margin
# for the words Whisper picks on another CPU (tests/voice/hearing.py).
def test_mandarin_request(recognizer):
    heard = recognizer.transcribe(speech_16k("我想交保费", "zh"))
    assert heard.language == "zh"
    assert_heard(heard.text, "我想交保费")


def test_mandarin_request_over_a_phone_line(recognizer):
    line = mulaw8k_to_pcm16k(pcm16k_to_mulaw8k(speech_16k("我想查一下我的保单", "zh")))
    heard = recognizer.transcribe(line)
    assert heard.language == "zh"
    assert_heard(heard.text, "我想查一下我的保单")


def test_english_request(recognizer):
    heard = recognizer.transcribe(speech_16k("I want to talk to a human agent.", "en"))
    assert heard.language == "en"
    assert_heard(heard.text, "I want to talk to a human agent.")


def test_cantonese_forced_for_a_cantonese_caller(recognizer):
    audio = speech_16k("我張保單幾時要交錢？", "yue")
    heard = recognizer.transcribe(audio, language="yue")
    assert heard.language == "yue"
    # Whisper base hears espeak-ng's robotic Cantonese poorly, and when its first pass loops the temperature
    # fallback samples: the same audio gave "", the words, or other words over 12 runs (2026-12-01). What it
    # keeps is written Chinese (the Cantonese prompt), never an echo of the prompt alone.
    if heard.text:
        assert re.search(r"[\u4e00-\u9fff]", heard.text) and not is_hallucination(heard.text), heard.text


@pytest.mark.parametrize("audio", [
    np.zeros(16000 * 5, np.float32),                 # silence
    noise(5, level=0.02),                            # line hiss
    noise(3, level=0.2, seed=11),                    # loud noise
    np.sin(np.arange(16000 * 3) * 2 * np.pi * 50 / 16000).astype(np.float32) * 0.3,  # mains hum
    np.zeros(0, np.float32),                         # nothing at all
], ids=["silence", "hiss", "loud-noise", "hum", "empty"])
def test_no_speech_gives_no_text(recognizer, audio):
    assert recognizer.transcribe(audio).text == ""


def test_only_the_three_languages(recognizer):
    with pytest.raises(ValueError):
        recognizer.transcribe(np.zeros(16000, np.float32), language="ja")
    assert recognizer.transcribe(np.zeros(16000, np.float32)).language in LANGUAGES


@pytest.mark.parametrize("text", [
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", "字幕由Amara.org社区提供", "Thanks for watching!",
    "Thank you for watching.", "谢谢观看", "中文字幕志愿者", "...", "。",
    "您好，我想问一下保单、交费、保费、理赔、报案、转人工、电子发票",  # the prompt echoed back
    "保單貸款、轉人工、電子發票、",
])
def test_known_hallucinations_are_dropped(text):
    assert is_hallucination(text)


@pytest.mark.parametrize("text", ["转人工", "我要报案", "我想查一下保单", "When is my premium due?", "理赔进度"])
def test_real_requests_are_not_taken_for_hallucinations(text):
    assert not is_hallucination(text)


@pytest.mark.parametrize("heard, kept", [
    ("我想保單幾時要交錢，理賠、報案、轉人工、電子發票、", "我想保單幾時要交錢"),   # seen in CI
    ("我想查一下保单，交费、理赔、报案", "我想查一下保单"),
    ("When is my premium due, a claim, an invoice, or speak to a human agent.", "When is my premium due"),
    # looped, the last term cut short (seen 2026-12-01, espeak-ng's Cantonese, Whisper base)
    ("我想問下我張幾時要交錢，理賠、報案、轉人工、電子發票、保單貸款、轉人工、電子發票、保單貸", "我想問下我張幾時要交錢"),
    ("如果,我張保單幾時要交錢，理賠、報案、轉人工、電子發票、保單貸款、人工,電子發票、", "如果,我張保單幾時要交錢"),
    ("我要理赔，报案", "我要理赔，报案"),        # two prompt words may be what was said
    ("转人工", "转人工"),
    ("我想问一下交费的事", "我想问一下交费的事"),
])
def test_a_prompt_list_appended_to_real_words_is_cut(heard, kept):
    assert without_prompt_echo(heard) == kept


def test_recognizer_is_loaded_once_per_engine(recognizer):
    assert get_recognizer("faster-whisper") is recognizer
    with pytest.raises(ValueError):
        get_recognizer("no-such-engine")
