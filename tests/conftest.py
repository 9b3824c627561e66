"""Shared fixtures: a fresh, seeded SQLite business database (real, no mocks)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from actions.service import db, settings
from actions.service.db import session_scope
from actions.service.models import Customer


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


@pytest.fixture
def customers(demo_db):
    """The demo customers' ids: 王建国 (wang), 张秀英 (zhang), 陳大文 (chan), Emily Li (emily)."""
    with session_scope() as session:
        ids = {phone: id_ for phone, id_ in session.query(Customer.phone, Customer.id)}
    return SimpleNamespace(wang=ids["13800000001"], zhang=ids["13900000002"], chan=ids["85291234567"],
                           emily=ids["13700000003"])


POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def postgres_db(monkeypatch):
    """A throwaway PostgreSQL database for the service layer (dropped afterwards); skipped without a server."""
    import uuid

    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # no server here: nothing to test against
        pytest.skip(f"no PostgreSQL server: {error}")
    name = f"anxin_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'create database "{name}"'))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    monkeypatch.setenv("ANXIN_DATABASE_URL", url)
    monkeypatch.setenv("ANXIN_PUBLIC_URL", "https://anxin.test")
    clear_service_caches()
    yield url
    db.get_engine(url).dispose()
    clear_service_caches()
    with admin.connect() as connection:
        connection.execute(text(f'drop database "{name}" with (force)'))
    admin.dispose()
