import pytest

from sandbox.clock import Clock
from sandbox.registry.rest import Registry
from sandbox.storage.store import Store
from tests.unit.registry.kinds import rt


@pytest.fixture
def registry():
    registry = Registry(Store(), Clock())
    registry.create(rt("namespaces"), None, {"metadata": {"name": "default"}})
    return registry
