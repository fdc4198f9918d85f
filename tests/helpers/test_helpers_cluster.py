"""Learner namespaces: containo-<learner>, with a clear error for names Kubernetes would refuse."""
import pytest

from helpers.cluster import namespace_for
from helpers.errors import WorkshopError


def test_learner_namespaces():
    assert namespace_for(None) == "containo"
    assert namespace_for("alice") == "containo-alice"
    assert namespace_for("bob-2") == "containo-bob-2"


@pytest.mark.parametrize("name", ["Alice", "alice smith", "-bob", "bob-", "x" * 55, "a_b"])
def test_names_kubernetes_would_refuse_are_explained(name):
    with pytest.raises(WorkshopError, match="cannot be part of a namespace name.*for example 'alice'"):
        namespace_for(name)
