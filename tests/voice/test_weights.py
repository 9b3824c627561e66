"""The bundled Whisper weights: joined once, checked by SHA-256, never downloaded."""
import pytest

from actions.service.core.settings import get_settings
from voice import weights
from voice.weights import BUNDLED_SHA256, WeightsError, model_path, sha256_of


def test_bundled_model_is_joined_and_verified():
    path = model_path("base")
    assert {p.name for p in path.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert (path / ".verified").read_text() == BUNDLED_SHA256


def test_a_damaged_join_is_detected(tmp_path, monkeypatch):
    monkeypatch.setenv("ANXIN_WHISPER_CACHE", str(tmp_path))
    get_settings.cache_clear()
    real_sha = weights.sha256_of
    monkeypatch.setattr(weights, "sha256_of", lambda path: "0" * 64)
    with pytest.raises(WeightsError, match="SHA-256"):
        weights.bundled_model_dir()
    assert not (tmp_path / "base-ct2" / "model.bin").exists()  # nothing half-made is left to load
    monkeypatch.setattr(weights, "sha256_of", real_sha)
    joined = weights.bundled_model_dir()
    assert sha256_of(joined / "model.bin") == BUNDLED_SHA256


def test_an_unknown_model_is_refused_not_downloaded(tmp_path):
    with pytest.raises(WeightsError, match="never downloaded"):
        model_path("small")
    with pytest.raises(WeightsError):
        model_path(str(tmp_path))


def test_the_smart_turn_model_is_checked_and_never_downloaded_at_run_time(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "BUNDLED_SMART_TURN", tmp_path / "var" / "smart-turn" / weights.BUNDLED_SMART_TURN.name)
    monkeypatch.delenv("ANXIN_SMART_TURN_MODEL", raising=False)
    with pytest.raises(WeightsError, match="make install"):
        weights.smart_turn_path()
    weights.smart_turn_file().parent.mkdir(parents=True)
    weights.smart_turn_file().write_bytes(b"not the model")
    with pytest.raises(WeightsError, match="SHA-256"):
        weights.smart_turn_path()
