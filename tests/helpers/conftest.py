import sys
import uuid
from pathlib import Path

import pytest

import helpers

# The object builders beside these tests (helper_objects.py) are imported as a plain module.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def learner(sandbox_process):
    """Connected to the session sandbox as a fresh learner (namespace containo-<learner>), cleaned up after."""
    name = f"t{uuid.uuid4().hex[:8]}"
    conn = helpers.connect(context="workshop-sandbox", kubeconfig=str(sandbox_process.kubeconfig), learner=name)
    yield conn
    sandbox_process.kubectl("delete", "namespace", conn.namespace, "--wait=false")
    helpers.disconnect()
