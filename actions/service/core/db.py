"""Engine and sessions for the business database (SQLite by default, any SQLAlchemy URL)."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from actions.service.core.models import Base
from actions.service.core.settings import get_settings


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        # Pooled: SQLAlchemy 1.4 would open (and set the pragmas on) a new connection for every
        # session, twice per turn in the Rasa server alone (issue 14).
        engine = create_engine(url, future=True, poolclass=QueuePool, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # WAL: readers never block the writer
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


@lru_cache(maxsize=None)
def get_engine(url: Optional[str] = None) -> Engine:
    engine = _make_engine(url or get_settings().database_url)
    create_missing_tables(engine)
    add_missing_columns(engine)
    return engine


def create_missing_tables(engine: Engine, tables: Optional[list] = None) -> None:
    """Create the tables that are missing (never drops: a restart keeps the data).

    Rasa, the action server and the scheduler start together: another process may create a table
    between this one's check and its CREATE ("already exists"). Then the check is simply made again.
    """
    try:
        Base.metadata.create_all(engine, tables=tables)
    except DatabaseError:
        Base.metadata.create_all(engine, tables=tables)


def add_missing_columns(engine: Engine) -> None:
    """Add columns that a newer release declares to tables an older release created.

    Additive only (nullable columns, no renames or drops), which is all this product's releases do;
    anything more needs a real migration tool such as Alembic.
    """
    inspector = inspect(engine)
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=engine.dialect)
                    connection.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
        # Indexes a newer release declares on an older table (create_all makes them for new tables only).
        for table in Base.metadata.sorted_tables:
            present = {index["name"] for index in inspector.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in present:
                    index.create(connection, checkfirst=True)


@lru_cache(maxsize=None)
def _session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """A transaction: committed on success, rolled back on error."""
    session = _session_factory(url or get_settings().database_url)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
