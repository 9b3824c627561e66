"""The business database's tables: made when missing, also when another process makes them at the same moment."""
from __future__ import annotations

from sqlalchemy import create_engine, event, inspect

from actions.service.core.db import create_missing_tables
from actions.service.core.models import Base, Customer


def test_a_table_another_process_created_meanwhile_is_no_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'race.db'}"
    engine, other_process = create_engine(url), create_engine(url)
    customers = Customer.__table__
    raced = []

    @event.listens_for(customers, "before_create")
    def another_process_creates_it_first(target, connection, **_):
        if not raced:  # between this process's check and its CREATE TABLE
            raced.append(True)
            target.create(other_process)

    try:
        create_missing_tables(engine)
    finally:
        event.remove(customers, "before_create", another_process_creates_it_first)
    assert raced
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
