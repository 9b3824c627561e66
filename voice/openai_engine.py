"""The openai-whisper engine, on the same bundled weights as faster-whisper.

openai-whisper loads `.pt` checkpoints ({"dims": ..., "model_state_dict": ...}). Rather than
download one, the bundled CTranslate2 model is converted: CTranslate2's Whisper converter
(ctranslate2/converters/transformers.py, specs/whisper_spec.py) only renames tensors and fuses
the attention projections — self-attention q|k|v into one matrix, cross-attention k|v into one,
with a zero bias for the bias-less key projection — and scales nothing. So the conversion is
one-to-one: read model.bin, split the fused matrices, rename, save. Done once, cached beside the
joined model (var/whisper/base-openai.pt).

Needs torch and openai-whisper: the install extra `make install-whisper` (requirements-whisper.txt).
"""
from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import numpy as np

from actions.service.core.settings import get_settings
from voice.recognizer import SAMPLE_RATE, Recognizer

# CTranslate2 DataType enum order (include/ctranslate2/types.h; specs/model_spec.py _dtype_to_type_id).
_CT2_DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16, None)  # bfloat16 is not used by Whisper


def read_ctranslate2_variables(model_bin: Path) -> Dict[str, np.ndarray]:
    """Every tensor in a CTranslate2 model.bin (binary format version 6, as ModelSpec._serialize writes)."""
    data = Path(model_bin).read_bytes()
    offset = 0

    def take(fmt: str):
        nonlocal offset
        values = struct.unpack_from(fmt, data, offset)
        offset += struct.calcsize(fmt)
        return values

    def string() -> str:
        nonlocal offset
        (length,) = take("<H")
        text = data[offset:offset + length - 1].decode("utf-8")
        offset += length
        return text

    (version,) = take("<I")
    if version != 6:
        raise ValueError(f"unsupported CTranslate2 binary version {version}")
    spec, (_revision,), (count,) = string(), take("<I"), take("<I")
    if spec != "WhisperSpec":
        raise ValueError(f"not a Whisper model: {spec}")
    variables: Dict[str, np.ndarray] = {}
    for _ in range(count):
        name = string()
        (rank,) = take("<B")
        shape = take(f"<{rank}I") if rank else ()
        (dtype_id,), (size,) = take("<B"), take("<I")
        dtype = _CT2_DTYPES[dtype_id]
        if dtype is None:
            raise ValueError(f"{name}: bfloat16 weights are not supported")
        variables[name] = np.frombuffer(data, dtype=dtype, count=size // np.dtype(dtype).itemsize,
                                        offset=offset).reshape(shape)
        offset += size
    (alias_count,) = take("<I")
    for _ in range(alias_count):
        alias, target = string(), string()
        variables[alias] = variables[target]
    return variables


def _linear(out: dict, prefix: str, variables: dict, source: str, rows: slice = slice(None),
            bias: bool = True) -> None:
    out[f"{prefix}.weight"] = variables[f"{source}/weight"][rows]
    if bias:
        out[f"{prefix}.bias"] = variables[f"{source}/bias"][rows]


def _layer_norm(out: dict, prefix: str, variables: dict, source: str) -> None:
    out[f"{prefix}.weight"] = variables[f"{source}/gamma"]
    out[f"{prefix}.bias"] = variables[f"{source}/beta"]


def _layers(variables: dict, side: str) -> int:
    return len({name.split("/")[1] for name in variables if re.match(rf"{side}/layer_\d+/", name)})


def openai_state_dict(variables: Dict[str, np.ndarray]) -> Tuple[Dict[str, int], Dict[str, np.ndarray]]:
    """(dims, model_state_dict) in openai-whisper's naming, from CTranslate2 Whisper variables."""
    state: Dict[str, np.ndarray] = {}
    width = variables["encoder/conv1/weight"].shape[0]
    third = slice(0, width), slice(width, 2 * width), slice(2 * width, 3 * width)
    for side, count in (("encoder", _layers(variables, "encoder")), ("decoder", _layers(variables, "decoder"))):
        for index in range(count):
            source, target = f"{side}/layer_{index}", f"{side}.blocks.{index}"
            attention = f"{source}/self_attention"
            _layer_norm(state, f"{target}.attn_ln", variables, f"{attention}/layer_norm")
            _linear(state, f"{target}.attn.query", variables, f"{attention}/linear_0", third[0])
            _linear(state, f"{target}.attn.key", variables, f"{attention}/linear_0", third[1], bias=False)
            _linear(state, f"{target}.attn.value", variables, f"{attention}/linear_0", third[2])
            _linear(state, f"{target}.attn.out", variables, f"{attention}/linear_1")
            if side == "decoder":
                cross = f"{source}/attention"
                _layer_norm(state, f"{target}.cross_attn_ln", variables, f"{cross}/layer_norm")
                _linear(state, f"{target}.cross_attn.query", variables, f"{cross}/linear_0")
                _linear(state, f"{target}.cross_attn.key", variables, f"{cross}/linear_1", third[0], bias=False)
                _linear(state, f"{target}.cross_attn.value", variables, f"{cross}/linear_1", third[1])
                _linear(state, f"{target}.cross_attn.out", variables, f"{cross}/linear_2")
            _layer_norm(state, f"{target}.mlp_ln", variables, f"{source}/ffn/layer_norm")
            _linear(state, f"{target}.mlp.0", variables, f"{source}/ffn/linear_0")
            _linear(state, f"{target}.mlp.2", variables, f"{source}/ffn/linear_1")
    for conv in ("conv1", "conv2"):
        _linear(state, f"encoder.{conv}", variables, f"encoder/{conv}")
    state["encoder.positional_embedding"] = variables["encoder/position_encodings/encodings"]
    _layer_norm(state, "encoder.ln_post", variables, "encoder/layer_norm")
    state["decoder.token_embedding.weight"] = variables["decoder/embeddings/weight"]
    state["decoder.positional_embedding"] = variables["decoder/position_encodings/encodings"]
    _layer_norm(state, "decoder.ln", variables, "decoder/layer_norm")
    dims = {
        "n_mels": int(variables["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(variables["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": width,
        "n_audio_head": int(variables["encoder/num_heads"]),
        "n_audio_layer": _layers(variables, "encoder"),
        "n_vocab": int(variables["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(variables["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(variables["decoder/embeddings/weight"].shape[1]),
        "n_text_head": int(variables["decoder/num_heads"]),
        "n_text_layer": _layers(variables, "decoder"),
    }
    return dims, state


def alignment_heads(ct2_dir: Path) -> List[List[int]]:
    config = json.loads((Path(ct2_dir) / "config.json").read_text())
    return config.get("alignment_heads") or []


def convert_checkpoint(ct2_dir: Path, output: Path) -> Path:
    """Write openai-whisper's checkpoint for a CTranslate2 Whisper model directory (once)."""
    import torch

    if output.exists() and output.stat().st_mtime >= (Path(ct2_dir) / "model.bin").stat().st_mtime:
        return output
    dims, state = openai_state_dict(read_ctranslate2_variables(Path(ct2_dir) / "model.bin"))
    checkpoint = {"dims": dims, "model_state_dict": {name: torch.from_numpy(np.array(value))
                                                     for name, value in state.items()}}
    temporary = output.with_suffix(".tmp")
    torch.save(checkpoint, temporary)
    temporary.replace(output)
    return output


class OpenAIWhisperRecognizer(Recognizer):
    engine = "openai-whisper"

    def __init__(self, ct2_path: str) -> None:
        super().__init__()
        import torch
        import whisper

        ct2_dir = Path(ct2_path)
        checkpoint = convert_checkpoint(ct2_dir, ct2_dir.parent / f"{ct2_dir.name.replace('-ct2', '')}-openai.pt")
        self.model = whisper.load_model(str(checkpoint), device="cpu")
        heads = alignment_heads(ct2_dir)
        if heads:  # word timestamps use them; a converted checkpoint has no name to look them up by
            mask = torch.zeros(self.model.dims.n_text_layer, self.model.dims.n_text_head, dtype=torch.bool)
            for layer, head in heads:
                mask[layer, head] = True
            self.model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
        self._whisper = whisper

    @property
    def supported_languages(self) -> Iterable[str]:
        from whisper.tokenizer import LANGUAGES

        languages = list(LANGUAGES)
        # The first n_vocab - 51765 - 1 languages have tokens (99 for base; large-v3 adds yue).
        return languages[: self.model.num_languages]

    def _language_probabilities(self, speech: np.ndarray) -> Dict[str, float]:
        whisper = self._whisper
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(speech.astype(np.float32)),
                                          self.model.dims.n_mels)
        _, probabilities = self.model.detect_language(mel)
        return dict(probabilities)

    def _decode(self, speech: np.ndarray, language: str, prompt: str) -> List[Tuple[str, float]]:
        result = self.model.transcribe(
            speech.astype(np.float32), language=language, task="transcribe", fp16=False, verbose=None,
            beam_size=get_settings().asr_beam, best_of=get_settings().asr_beam, temperature=(0.0, 0.4, 0.8),
            condition_on_previous_text=False, initial_prompt=prompt, no_speech_threshold=get_settings().asr_no_speech,
            logprob_threshold=-1.0, compression_ratio_threshold=2.4, without_timestamps=True)
        return [(segment["text"], segment.get("no_speech_prob", 0.0)) for segment in result["segments"]]


__all__ = ["OpenAIWhisperRecognizer", "convert_checkpoint", "openai_state_dict", "read_ctranslate2_variables",
           "SAMPLE_RATE"]
