"""Chapter 08's helpers: which problem a pod shows (as `kubectl get pods` words it), and the checkpoint that grades
that everything is healthy again, failing with the sentences a learner reads while something is still broken."""

import re

import pytest
from helper_objects import deployment, endpointslice, event, pod, replicaset, service

import helpers
from helpers.checks import Snapshot
from helpers.trouble import Problem, describe, problem_of, recovery_problems

PULL = ('Back-off pulling image "containo-orders:v2": ErrImagePull: rpc error: code = Unknown desc = failed to pull '
        'and unpack image "docker.io/library/containo-orders:v2": failed to resolve reference '
        '"docker.io/library/containo-orders:v2": pull access denied, repository does not exist or may require '
        'authorization: server message: insufficient_scope: authorization failed')
UNSCHEDULABLE = ("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
                 "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
                 "2 No preemption victims found for incoming pod.")


def waiting(p, container, reason, message, restarts=0):
    for cs in p["status"]["containerStatuses"]:
        if cs["name"] == container:
            cs.update(state={"waiting": {"reason": reason, "message": message}}, ready=False, restartCount=restarts)
    p["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    return p


def pending(p, message=UNSCHEDULABLE):
    p["spec"].pop("nodeName")
    p["status"] = {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}]}
    return p


def pulls_failed(name, container, count):
    e = event(name, "Failed", "Error: ErrImagePull")
    e["involvedObject"]["fieldPath"] = f"spec.containers{{{container}}}"
    e["count"] = count
    return e


def test_problem_of_reads_what_the_status_column_shows():
    api = ("orders-api", "orders-validator")
    assert problem_of(pod("a", containers=api), []) is None
    assert problem_of(pending(pod("b")), []) == Problem("Unschedulable", 1, "", UNSCHEDULABLE)
    unbound = pod("c")
    unbound["spec"].pop("nodeName")
    assert problem_of(unbound, []) is None, "not scheduled yet is not a problem"

    pulling = waiting(pod("d", containers=api), "orders-api", "ImagePullBackOff", PULL)
    seen = problem_of(pulling, [pulls_failed("d", "orders-api", 3), pulls_failed("d", "orders-validator", 5)])
    assert seen == Problem("ImagePullBackOff", 3, "orders-api", PULL)
    assert describe("d", seen) == "pod/d: container orders-api is in ImagePullBackOff (its image failed to pull 3 times)"

    crashing = waiting(pod("e", containers=api), "orders-validator", "CrashLoopBackOff", "back-off 40s", restarts=3)
    seen = problem_of(crashing, [])
    assert (seen.reason, seen.failures, seen.container) == ("CrashLoopBackOff", 4, "orders-validator")
    assert describe("e", seen) == "pod/e: container orders-validator is in CrashLoopBackOff (it exited 4 times)"
    assert describe("b", problem_of(pending(pod("b")), [])) == "pod/b is Pending: no node can take it (Unschedulable)"


def world(image_ok=True, cache_replicas=1, stray=None):
    """The API (2 pods behind its Service) and the cache (behind its Service), as chapter 08 finds them; with a
    rollout stuck on an image that does not pull, the cache scaled to 0, or a stray pod."""
    api = deployment("containo-orders-frontend", "api", containers=("orders-api", "orders-validator"))
    old = replicaset("containo-orders-frontend-7d9f8b6c5", api, 1, 2, "api")
    pods = [pod(f"containo-orders-frontend-7d9f8b6c5-{s}", old, containers=("orders-api", "orders-validator"))
            for s in ("abcde", "fghjk")]
    if not image_ok:
        api["status"].update(replicas=3, updatedReplicas=1)
        new = replicaset("containo-orders-frontend-5c4b3d2f1", api, 2, 1, "api")
        bad = waiting(pod("containo-orders-frontend-5c4b3d2f1-xyzwv", new, containers=("orders-api", "orders-validator")),
                      "orders-api", "ImagePullBackOff", PULL)
        pods.append(bad)
    cache = deployment("containo-orders-cache", "cache", replicas=cache_replicas, containers=("redis",))
    cache["metadata"]["labels"]["type"] = "infrastructure"
    cache_rs = replicaset("containo-orders-cache-6b8d9f7c5", cache, 1, cache_replicas, "cache")
    pods += [pod(f"containo-orders-cache-6b8d9f7c5-qq7r{i}", cache_rs, service="cache", containers=("redis",))
             for i in range(cache_replicas)]
    front = service("containo-orders-frontend", "api", kind="ClusterIP", port=1337, target=80)
    front["metadata"]["labels"]["type"] = "platform"
    cache_svc = service("containo-orders-cache-service", "cache")
    slices = [endpointslice("containo-orders-frontend", ["10.244.1.5", "10.244.2.5"])]
    if cache_replicas:
        slices.append(endpointslice("containo-orders-cache-service", ["10.244.1.6"]))
    if stray:
        pods.append(stray)
    snap = Snapshot("containo", pods=pods, endpointslices=slices)
    for obj in (api, cache, front, cache_svc):
        snap.objects.setdefault((obj["apiVersion"], obj["kind"]), {})[obj["metadata"]["name"]] = obj
    return [api, cache, front, cache_svc], snap


def test_the_checkpoint_passes_when_everything_is_healthy_again():
    expected, snap = world()
    assert recovery_problems(expected, snap) == []


def test_the_checkpoint_says_what_is_still_broken_in_the_learners_words():
    expected, snap = world(image_ok=False, cache_replicas=0,
                           stray=pending(pod("debug", service="debug", containers=("main",))))
    problems = recovery_problems(expected, snap)
    assert problems[0] == (
        "deployment/containo-orders-frontend is not ready: Waiting for deployment \"containo-orders-frontend\" "
        "rollout to finish: 1 out of 2 new replicas have been updated...\n"
        "      pod containo-orders-frontend-5c4b3d2f1-xyzwv: ImagePullBackOff (1/2 ready): container orders-api is "
        f"waiting: ImagePullBackOff: {PULL}")
    assert ("service/containo-orders-cache-service has no ready endpoints: no pod matches its selector "
            "(app=containo,microservice=orders,service=cache)") in problems
    assert problems[-1] == f"pod debug: Pending, not scheduled: {UNSCHEDULABLE} (FailedScheduling)"
    assert len(problems) == 3, "the stuck pod is named once, under its Deployment"


# --- on a sandbox ---------------------------------------------------------------------------------------------------


@pytest.mark.sandbox
def test_check_recovered_fails_while_a_rollout_is_stuck_and_passes_after_the_undo(learner, capsys):
    helpers.ensure_chapter(8, timeout=90)
    helpers.kubectl("set image deployment/containo-orders-frontend orders-api=containo-orders:v2")
    name = helpers.wait_for_problem("service=api", "ImagePullBackOff", timeout=60)
    capsys.readouterr()
    helpers.check_recovered()
    out = capsys.readouterr().out
    assert out.startswith("NOT YET  Chapter 8 checkpoint (everything healthy again): 1 thing to fix:\n"
                          "  - deployment/containo-orders-frontend is not ready: Waiting for deployment "
                          '"containo-orders-frontend" rollout to finish: 1 out of 2 new replicas have been updated...\n'
                          f"      pod {name}: ")
    # The kubelet retries the pull after each back-off: the pod reads ErrImagePull or ImagePullBackOff by turns.
    assert re.search(r'container orders-api is waiting: (ErrImagePull: .*|ImagePullBackOff: Back-off pulling image )'
                     r'"?containo-orders:v2', out), out

    helpers.kubectl("rollout undo deployment/containo-orders-frontend")
    helpers.kubectl("rollout status deployment/containo-orders-frontend --timeout=60s")
    helpers.wait_for_deleted("pod", name, timeout=60)
    capsys.readouterr()
    helpers.check_recovered()
    assert capsys.readouterr().out.startswith("PASS  Chapter 8 checkpoint (everything healthy again)")
    helpers.ensure_chapter(9, timeout=90)  # the state after chapter 08: what chapters 1-8 build, all healthy
    assert f"Ready for chapter 9: namespace {learner.namespace} has what chapters 1-8 build" in capsys.readouterr().out


@pytest.mark.sandbox
def test_check_recovered_lets_a_rollout_in_progress_finish_before_it_judges(learner, capsys):
    """Right after a `rollout undo` (or any rollout) the new pods are starting and the old ones still count: that
    is not broken, and the checkpoint waits for it instead of saying NOT YET."""
    helpers.ensure_chapter(8, timeout=90)
    # A new template, each new pod counted available only 30 s (sandbox time) after it is ready: a rollout that
    # takes a while even on the simulated runtime.
    helpers.kubectl("patch", "deployment", "containo-orders-frontend", "--type=merge", "-p",
                    '{"spec":{"minReadySeconds":30,"template":{"metadata":{"annotations":{"release":"two"}}}}}')
    capsys.readouterr()
    helpers.check_recovered()
    assert capsys.readouterr().out.startswith("PASS  Chapter 8 checkpoint (everything healthy again)")
    live = learner.api.read("apps/v1", "Deployment", "containo-orders-frontend", learner.namespace)
    assert live["status"]["updatedReplicas"] == live["status"]["replicas"] == live["spec"]["replicas"]


@pytest.mark.sandbox
def test_ensure_chapter_takes_back_a_variable_added_with_kubectl_set_env(learner):
    """Server-side apply cannot remove a variable another field manager added (chapter 08's crash, under chapter
    07's envFrom): ensure_chapter puts the containers back."""
    helpers.ensure_chapter(4, timeout=90)
    helpers.kubectl("set env deployment/containo-orders-frontend -c orders-validator EXTRA=one-hundred")
    helpers.ensure_chapter(4, timeout=90)
    live = learner.api.read("apps/v1", "Deployment", "containo-orders-frontend", learner.namespace)
    [validator] = [c for c in live["spec"]["template"]["spec"]["containers"] if c["name"] == "orders-validator"]
    assert [e["name"] for e in validator["env"]] == ["VALIDATOR_PORT", "ORDER_LIMIT"]


@pytest.mark.sandbox
def test_on_a_simulated_runtime_the_waits_that_need_a_process_say_so_at_once(learner):
    for wait in (lambda: helpers.wait_for_problem("service=api", "CrashLoopBackOff", timeout=5),
                 lambda: helpers.wait_for_unready("containo-orders-frontend", timeout=5)):
        with pytest.raises(helpers.WorkshopError, match="This sandbox runs with --runtime simulated: .* so this "
                                                        "would wait for nothing"):
            wait()
    with pytest.raises(helpers.WorkshopError, match="'Pending' is not a problem wait_for_problem"):
        helpers.wait_for_problem("service=api", "Pending")


@pytest.mark.sandbox
def test_waiting_for_a_problem_with_no_pod_at_all_names_what_should_have_made_one(learner):
    """Chapter 08's worker is at zero until an order wakes it up: a learner (or a test) who waits for its pod
    while KEDA keeps it at zero reads why, not only that no pod matches."""
    helpers.ensure_chapter(8, timeout=90)
    helpers.wait_for_autoscaler("containo-orders-queue-processor", kind="ScaledObject")  # idle: at zero
    with pytest.raises(helpers.WorkshopError) as caught:
        helpers.wait_for_problem("service=queue-processor", "Unschedulable", timeout=2)
    assert str(caught.value).endswith(
        f"Not ready:\n  no pod in namespace {learner.namespace} matches service=queue-processor\n"
        "  deployment/containo-orders-queue-processor asks for 0 replicas\n"
        "  scaledobject/containo-orders-queue-processor Ready=True: ScaledObject is defined correctly and is ready "
        "for scaling\n"
        "  scaledobject/containo-orders-queue-processor Active=False: Scaling is not performed because triggers "
        "are not active")
