import pytest

from voice.asr import get_recognizer


@pytest.fixture(scope="session")
def recognizer():
    """faster-whisper on the bundled base weights, loaded once for the whole session."""
    return get_recognizer("faster-whisper")
