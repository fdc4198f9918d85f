"""Garbage collection by owner references (Background, Foreground, Orphan) and namespace termination."""
from tests.unit.controllers.harness import deployment, run


def _ready(c, name, replicas):
    d = c.get("deployments.apps", name)
    return d and (d.get("status") or {}).get("availableReplicas") == replicas


def test_background_deletion_removes_replica_sets_and_pods():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=2))
        await c.wait_for(lambda: _ready(c, "web", 2), what="deployment ready")
        c.delete("deployments.apps", "web", propagation_policy="Background")
        assert c.get("deployments.apps", "web") is None
        await c.wait_for(lambda: not c.list("replicasets.apps") and not c.list("pods"), what="dependents gone")
    run(scenario)


def test_foreground_deletion_keeps_the_owner_until_its_dependents_are_gone():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=2))
        await c.wait_for(lambda: _ready(c, "web", 2), what="deployment ready")
        c.delete("deployments.apps", "web", propagation_policy="Foreground")
        owner = c.get("deployments.apps", "web")
        assert owner["metadata"]["deletionTimestamp"] and owner["metadata"]["finalizers"] == ["foregroundDeletion"]
        seen = []

        def check():
            seen.append((c.get("deployments.apps", "web") is not None, len(c.list("pods"))))
            return seen[-1] == (False, 0)
        await c.wait_for(check, what="owner and dependents gone")
        # the owner never disappeared while pods remained
        assert all(owner_present for owner_present, pods in seen if pods)
    run(scenario)


def test_orphan_deletion_keeps_the_dependents_without_owner():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=1))
        await c.wait_for(lambda: _ready(c, "web", 1), what="deployment ready")
        c.delete("deployments.apps", "web", propagation_policy="Orphan")
        await c.wait_for(lambda: c.get("deployments.apps", "web") is None, what="owner gone")
        [rs] = c.list("replicasets.apps")
        assert not rs["metadata"].get("ownerReferences")
        assert len(c.list("pods")) == 1
    run(scenario)


def test_an_object_whose_owner_never_existed_is_collected():
    async def scenario(c):
        c.create("configmaps", {"metadata": {"name": "stray", "ownerReferences": [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "no-such-uid"}]}})
        await c.wait_for(lambda: c.get("configmaps", "stray") is None, what="dangling dependent collected")
    run(scenario)


def test_a_deleted_namespace_is_terminating_until_its_content_is_gone():
    async def scenario(c):
        c.create("namespaces", {"metadata": {"name": "shop"}}, None)
        c.create("deployments.apps", deployment(replicas=2), "shop")
        c.create("configmaps", {"metadata": {"name": "settings"}}, "shop")
        await c.wait_for(lambda: (d := c.get("deployments.apps", "web", "shop")) and
                         (d.get("status") or {}).get("availableReplicas") == 2, what="ready in shop")
        c.delete("namespaces", "shop", None)
        ns = c.get("namespaces", "shop", None)
        assert ns["status"]["phase"] == "Terminating"
        remaining = await c.wait_for(lambda: (n := c.get("namespaces", "shop", None)) and [
            x for x in (n.get("status") or {}).get("conditions") or [] if x["type"] == "NamespaceContentRemaining"
            and x["status"] == "True"], what="content remaining condition")
        assert remaining[0]["reason"] == "SomeResourcesRemain"
        assert "pods. has 2 resource instances" in remaining[0]["message"]
        try:
            c.create("configmaps", {"metadata": {"name": "late"}}, "shop")
            raise AssertionError("created content in a terminating namespace")
        except Exception as e:
            assert getattr(e, "code", None) == 403
        await c.wait_for(lambda: c.get("namespaces", "shop", None) is None, timeout=60, what="namespace gone")
        assert c.list("pods", "shop") == [] and c.list("configmaps", "shop") == []
    run(scenario)
