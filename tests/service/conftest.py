"""A fresh, seeded SQLite business database for each service test."""
from __future__ import annotations

import pytest

from actions.service import db, settings


def clear_service_caches() -> None:
    """Settings, engine and session factory are cached: forget them so the next call reads the env."""
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    db._session_factory.cache_clear()


@pytest.fixture
def demo_db(tmp_path, monkeypatch):
    """Point the service layer at a new SQLite file and seed the demo customers; undo it afterwards."""
    from actions.service.seed import seed_demo_data

    url = f"sqlite:///{tmp_path / 'anxin.db'}"
    monkeypatch.setenv("ANXIN_DATABASE_URL", url)
    monkeypatch.setenv("ANXIN_PUBLIC_URL", "https://anxin.test")
    clear_service_caches()
    seed_demo_data()
    yield url
    db.get_engine(url).dispose()
    clear_service_caches()
