"""kube-scheduler's filter, messages and choice as pure functions (and the verdict cache in a cluster)."""
import json

from sandbox.controllers import scheduling
from sandbox.controllers.replicaset import deletion_rank
from sandbox.machinery import podutil
from sandbox.controllers.scheduling import NodeInfo
from sandbox.simulation import nodes as simulated
from tests.unit.controllers.harness import run


def cluster(n=3):
    return [NodeInfo(simulated.manifest(spec, "2026-01-01T00:00:00Z")) for spec in simulated.cluster(n)]


def pod(cpu=None, memory=None, **spec):
    resources = {"requests": {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}}
    return {"metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx", "resources": resources}], **spec}}


def test_a_pod_that_fits_nowhere_gets_the_real_message():
    p = pod(cpu="5")
    node, verdicts = scheduling.pick(p, scheduling.pod_requests(p), None, cluster())
    assert node is None
    assert scheduling.fit_error(p, verdicts) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod.")


def test_several_missing_resources_are_all_reported_and_counted():
    p = pod(cpu="5", memory="20Gi")
    _, verdicts = scheduling.pick(p, scheduling.pod_requests(p), None, cluster(2))
    assert scheduling.fit_error(p, verdicts).startswith(
        "0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) had untolerated taint")


def test_node_selector_and_tolerations():
    p = pod(nodeSelector={"disktype": "ssd"})
    _, verdicts = scheduling.pick(p, {}, None, cluster(2))
    assert "1 node(s) didn't match Pod's node affinity/selector" in scheduling.fit_error(p, verdicts)
    tolerant = pod(tolerations=[{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                                 "effect": "NoSchedule"}], nodeSelector={"node-role.kubernetes.io/control-plane": ""})
    assert scheduling.pick(tolerant, {}, None, cluster(3))[0] == "sandbox-control-plane"
    assert scheduling.tolerates({"operator": "Exists"}, {"key": "any", "effect": "NoExecute"})
    assert not scheduling.tolerates({"key": "a", "value": "x"}, {"key": "a", "value": "y", "effect": "NoSchedule"})


def test_required_node_affinity_terms_are_ored():
    p = pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["nowhere"]}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["sandbox-worker2"]}]}]}}})
    assert scheduling.pick(p, {}, None, cluster(3))[0] == "sandbox-worker2"


def test_requests_add_up_and_pods_are_counted():
    infos = cluster(2)
    worker = infos[1]
    worker.add({"cpu": 3500, "memory": 1}, "rs", [])
    p = pod(cpu="600m")
    assert scheduling.filter_node(p, scheduling.pod_requests(p), worker).reasons == ("Insufficient cpu",)
    worker.add({"cpu": -3500, "memory": -1}, "rs", [])
    worker.pods = 110
    assert scheduling.filter_node(p, scheduling.pod_requests(p), worker).reasons == ("Too many pods",)


def test_pod_requests_follow_the_init_container_and_limits_rules():
    p = {"spec": {"containers": [{"resources": {"requests": {"cpu": "100m"}}},
                                 {"resources": {"limits": {"cpu": "200m", "memory": "64Mi"}}}],
                  "initContainers": [{"resources": {"requests": {"cpu": "1"}}}]}}
    assert scheduling.pod_requests(p) == {"cpu": 1000, "memory": 64 * 1024 * 1024}


def test_replicas_spread_over_workers_before_stacking():
    infos = cluster(3)
    chosen = []
    for _ in range(4):
        p = pod()
        node, _ = scheduling.pick(p, {}, "rs-uid", infos)
        chosen.append(node)
        next(i for i in infos if i.name == node).add({}, "rs-uid", [])
    assert chosen == ["sandbox-worker", "sandbox-worker2", "sandbox-worker", "sandbox-worker2"]


def test_host_port_conflicts():
    infos = cluster(1)
    p = {"spec": {"containers": [{"ports": [{"containerPort": 80, "hostPort": 8080}]}]}}
    infos[0].add({}, None, scheduling.host_ports(p))
    assert scheduling.filter_node(p, {}, infos[0]).reasons == (
        "node(s) didn't have free ports for the requested pod ports",)


def test_replica_sets_give_up_unscheduled_and_unready_pods_first():
    def p(name, node=None, ready=False, phase="Running"):
        conditions = [{"type": "Ready", "status": "True" if ready else "False",
                       "lastTransitionTime": "2026-01-01T00:00:00Z"}]
        return {"metadata": {"name": name, "creationTimestamp": "2026-01-01T00:00:00Z"},
                "spec": {"nodeName": node} if node else {}, "status": {"phase": phase, "conditions": conditions}}
    pods = [p("ready", "n1", True), p("unready", "n1"), p("pending", phase="Pending"), p("ready2", "n2", True)]
    order = [x["metadata"]["name"] for x in sorted(pods, key=deletion_rank)]
    assert order[:2] == ["pending", "unready"]


def test_cached_static_verdicts_follow_node_changes():
    """The per-node verdict cache (taints, unschedulable, labels) must not outlive the node it was made for."""
    infos = cluster(2)
    worker = infos[1]
    p = pod()
    assert scheduling.filter_node(p, {}, worker) is scheduling.FITS
    tainted = json.loads(json.dumps(worker.node))
    tainted["spec"]["taints"] = [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]
    worker.set_node(tainted)
    assert scheduling.filter_node(p, {}, worker).reasons == ("node(s) had untolerated taint {dedicated: db}",)
    tolerant = pod(tolerations=[{"key": "dedicated", "operator": "Exists"}])
    assert scheduling.filter_node(tolerant, {}, worker) is scheduling.FITS  # another pod, another key
    cordoned = json.loads(json.dumps(tainted))
    cordoned["spec"]["unschedulable"] = True
    worker.set_node(cordoned)
    assert scheduling.filter_node(tolerant, {}, worker).reasons == ("node(s) were unschedulable",)
    relabelled = json.loads(json.dumps(worker.node))
    relabelled["spec"] = {}
    relabelled["metadata"]["labels"]["disktype"] = "ssd"
    worker.set_node(relabelled)
    assert scheduling.filter_node(pod(nodeSelector={"disktype": "ssd"}), {}, worker) is scheduling.FITS
    heartbeat = json.loads(json.dumps(relabelled))
    heartbeat["status"]["conditions"] = []
    worker.set_node(heartbeat)  # status only: the cache stays
    assert worker.static


def test_a_tainted_node_is_avoided_and_untainting_it_lets_the_pod_in():
    taint = {"spec": {"taints": [{"key": "maintenance", "effect": "NoSchedule"}]}}
    pending = lambda c, name: (podutil.condition(c.get("pods", name), "PodScheduled") or {}).get("reason") \
        == "Unschedulable"

    async def scenario(c):  # one worker
        c.patch("nodes", "sandbox-worker", taint, None)
        c.create("pods", {"metadata": {"name": "first"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
        await c.wait_for(lambda: pending(c, "first"), what="first pending")
        c.patch("nodes", "sandbox-worker", {"spec": {"taints": None}}, None)
        await c.wait_for(lambda: c.get("pods", "first")["spec"].get("nodeName") == "sandbox-worker",
                         what="first scheduled once the taint is gone")
        c.patch("nodes", "sandbox-worker", taint, None)
        c.create("pods", {"metadata": {"name": "second"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
        await c.wait_for(lambda: pending(c, "second"), what="second pending behind the new taint")
    run(scenario, nodes=2)
