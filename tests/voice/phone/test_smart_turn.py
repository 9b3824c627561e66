"""Smart Turn v3.2 on onnxruntime: the model file, its input, and the transcript's veto."""
import asyncio

import numpy as np
import pytest

from tests.voice.phone.caller_audio import silence, spoken_mulaw
from voice.audio import mulaw8k_to_pcm16k
from voice.phone.smart_turn import SmartTurnModel, judge_pause, smart_turn_model, transcript_unfinished
from voice.weights import SMART_TURN_SHA256, sha256_of, smart_turn_path


def test_the_model_file_is_the_one_taken_from_the_pipecat_wheel():
    assert sha256_of(smart_turn_path()) == SMART_TURN_SHA256


def test_features_are_whisper_log_mels_of_the_last_eight_seconds():
    long = np.random.default_rng(1).normal(0, 0.1, 16000 * 10).astype(np.float32)
    features = SmartTurnModel.features(long)
    assert features.shape == (1, 80, 800) and features.dtype == np.float32
    assert np.array_equal(features, SmartTurnModel.features(long[-16000 * 8:]))  # only the last 8 s count
    short = SmartTurnModel.features(long[:16000])
    assert np.ptp(short[0, :, :690], axis=1).max() < 1e-3  # padded with silence in front: flat


def test_the_model_gives_a_probability_for_phone_audio():
    audio = mulaw8k_to_pcm16k(spoken_mulaw("我想查一下下次交费是什么时候", "zh") + silence(0.25))
    probability = smart_turn_model().probability(audio)
    assert 0.0 <= probability <= 1.0


@pytest.mark.parametrize("text", ["我想查一下那个", "我想查一下那个，", "就是", "我想问一下然后", "I want to check and",
                                  "my policy um", "我想問下即係", "Could you tell me the",
                                  "I am old, and my eyes are weak, so...", "我想查一下，", "",
                                  # a clause that needs what comes next: a preposition's object, what is
                                  # asked or wanted, the predicate of an A-not-A question
                                  "我想了解一下关于", "麻烦你帮我", "我想请问", "他的合同是不是", "我可以把",
                                  "我想知道。", "I'd like", "Can you", "I need", "I want to ask about",
                                  "My wife and I are calling regarding", "so",
                                  # 把 / 将 with its object and not yet its verb
                                  "我想把扣款的银行卡。", "麻烦把那个保单的受益人", "我想把扣款嘅銀行卡"])
def test_a_sentence_ending_in_a_filler_is_unfinished(text):
    assert transcript_unfinished(text)


@pytest.mark.parametrize("text", ["我想查一下下次交费是什么时候", "好的", "我要这个。", "I think so.", "Is it and?",
                                  "When is my premium due?", "我想問下幾時要交保費", "帮帮我", "我要一个。",
                                  "That is all I need.", "Yes you can.", "I'd like that.", "Hold on.",
                                  "For a while.", "我想把银行卡换了", "帮我把保单取消", "把钱退给我",
                                  "幫我把電話號碼改咗佢", "我将会按时交费"])
def test_a_finished_sentence_is_not_vetoed(text):
    assert not transcript_unfinished(text)


def test_the_words_are_read_only_when_the_model_says_complete(monkeypatch):
    model = smart_turn_model()
    asked = []

    async def words():
        asked.append(1)
        return "我想查一下那个"

    audio = np.zeros(16000, np.float32)
    monkeypatch.setattr(model, "complete", lambda pcm: False)
    assert asyncio.run(judge_pause(audio, words)) is False and asked == []
    monkeypatch.setattr(model, "complete", lambda pcm: True)
    assert asyncio.run(judge_pause(audio, words)) is False and asked == [1]  # vetoed by 那个
