import pytest

from tests.servers import MODEL, Servers


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it first)")
    running = Servers(tmp_path_factory.mktemp("servers"), extra_env={"ANXIN_RATE_LIMIT_BURST": "20"}).start()
    yield running
    running.stop()
