"""The resource table's derived names: where a real API server keeps each kind in etcd (its storage errors quote it)."""
import pytest

from sandbox.machinery import resources
from sandbox.registry import kinds


@pytest.mark.parametrize("group, plural, namespace, key", [
    ("", "pods", "shop", "/registry/pods/shop/web"),
    ("", "nodes", None, "/registry/minions/web"),
    ("", "services", "shop", "/registry/services/specs/shop/web"),
    ("", "endpoints", "shop", "/registry/services/endpoints/shop/web"),
    ("apps", "deployments", "shop", "/registry/deployments/shop/web"),
    ("discovery.k8s.io", "endpointslices", "shop", "/registry/endpointslices/shop/web"),
    ("keda.sh", "scaledobjects", "shop", "/registry/keda.sh/scaledobjects/shop/web"),
])
def test_etcd_keys_follow_kube_apiserver_prefixes(group, plural, namespace, key):
    rt = next(rt for rt in resources.served() if (rt.group, rt.plural) == (group, plural))
    assert kinds.of(rt).etcd_key(rt, namespace, "web") == key
