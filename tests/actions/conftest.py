"""The action tests run on the same real, freshly seeded SQLite database as the service tests.

`demo_db` (tests/service/conftest.py) points the service layer at a new SQLite file in the
test's tmp dir, seeds the demo customers and clears the cached settings/engine afterwards.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from actions.service.db import session_scope
from actions.service.models import Customer
from tests.service.conftest import demo_db  # noqa: F401  (re-exported fixture)


@pytest.fixture
def customers(demo_db):  # noqa: F811
    """The demo customers' ids: 王建国 (wang), 张秀英 (zhang), 陳大文 (chan), Emily Li (emily)."""
    with session_scope() as session:
        ids = {phone: id_ for phone, id_ in session.query(Customer.phone, Customer.id)}
    return SimpleNamespace(wang=ids["13800000001"], zhang=ids["13900000002"], chan=ids["85291234567"],
                           emily=ids["13700000003"])
