import pytest


@pytest.fixture(scope="session")
def servers(standard_servers):
    """The standard pair (tests/conftest.py), shared with the web chat page and voice message tests."""
    return standard_servers
