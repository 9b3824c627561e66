"""A throwaway PostgreSQL database on the development machines' server (127.0.0.1, trust auth)."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, text

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class NoPostgres(RuntimeError):
    """No PostgreSQL server answers here: tests skip, benchmarks say so."""


@contextmanager
def throwaway_database(prefix: str = "anxin_test") -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards (connections forced closed)."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:
        admin.dispose()
        raise NoPostgres(f"no PostgreSQL server: {type(error).__name__}: {error}") from error
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'create database "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'drop database "{name}" with (force)'))
        admin.dispose()
