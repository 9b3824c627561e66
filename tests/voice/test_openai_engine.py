"""openai-whisper on the bundled weights converted to its checkpoint layout (install extra).

Skipped unless torch and openai-whisper are installed (`make install-whisper`; `make test` does it).
"""
import numpy as np
import pytest

from voice.openai_engine import openai_state_dict, read_ctranslate2_variables
from voice.weights import model_path

from tests.voice.hearing import assert_heard
from tests.voice.speech import speech_16k


def test_conversion_is_one_to_one():
    variables = read_ctranslate2_variables(model_path() / "model.bin")
    dims, state = openai_state_dict(variables)
    assert dims == {"n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 512, "n_audio_head": 8,
                    "n_audio_layer": 6, "n_vocab": 51865, "n_text_ctx": 448, "n_text_state": 512,
                    "n_text_head": 8, "n_text_layer": 6}
    # Every CTranslate2 tensor is used (except scalars and the tied output projection) and no value changes.
    fused = variables["encoder/layer_0/self_attention/linear_0/weight"]
    assert np.array_equal(np.concatenate([state["encoder.blocks.0.attn.query.weight"],
                                          state["encoder.blocks.0.attn.key.weight"],
                                          state["encoder.blocks.0.attn.value.weight"]]), fused)
    # Whisper's key projections have no bias: CTranslate2 stored zeros for them.
    assert not variables["encoder/layer_0/self_attention/linear_0/bias"][512:1024].any()
    tensors = sum(value.size for name, value in variables.items()
                  if value.ndim and name != "decoder/projection/weight")
    key_bias_zeros = 512 * 6 + 512 * 6 * 2  # self-attention key biases (enc+dec) and cross-attention key biases
    assert sum(value.size for value in state.values()) == tensors - key_bias_zeros


@pytest.fixture(scope="module")
def openai_recognizer():
    pytest.importorskip("torch", reason="openai-whisper is an install extra: make install-whisper")
    pytest.importorskip("whisper", reason="openai-whisper is an install extra: make install-whisper")
    from voice.asr import get_recognizer
    return get_recognizer("openai-whisper")


def test_openai_whisper_transcribes_like_faster_whisper(openai_recognizer, recognizer):
    # Same weights, two runtimes (float32 torch, int8 CTranslate2): both hear the sentence, each
    # within the margin; their exact words may differ by a letter on another CPU.
    said = "I want to talk to a human agent."
    audio = speech_16k(said, "en")
    for engine in (openai_recognizer, recognizer):
        heard = engine.transcribe(audio)
        assert heard.language == "en"
        assert_heard(heard.text, said)


def test_openai_whisper_mandarin_and_silence(openai_recognizer):
    heard = openai_recognizer.transcribe(speech_16k("我想交保费", "zh"))
    assert heard.language == "zh"
    assert_heard(heard.text, "我想交保费")
    assert openai_recognizer.transcribe(np.zeros(16000 * 3, np.float32)).text == ""
