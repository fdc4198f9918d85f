"""Chapter 07's checkpoint judged from object dicts: PASS on the state manifests/07-config builds, and each wrong
learner answer named as the learner sees it (envFrom missing, the Secret's key misnamed, a Redis started without
the password, KEDA without its authenticationRef); and which Deployments ensure_chapter() restarts after putting a
ConfigMap or Secret back."""
import copy

import pytest

from helper_objects import event, pod
from helpers import configuration, manifests
from helpers.checks import Snapshot, judge, judge_chapter, later_versions

API, WORKER, CACHE = "containo-orders-frontend", "containo-orders-queue-processor", "containo-orders-cache"


def expected():
    return [manifests.localize(o, "containo", lambda obj: obj["kind"] != "Namespace")
            for o in manifests.chapter_objects(7)]


def live_state():
    """The objects as the cluster holds them once manifests/07-config is applied and everything is ready."""
    objects = []
    for obj in copy.deepcopy(expected()):
        obj["metadata"]["generation"] = 1
        if obj["kind"] == "Deployment":
            n = obj["spec"]["replicas"]
            obj["status"] = {"observedGeneration": 1, "replicas": n, "updatedReplicas": n, "readyReplicas": n,
                             "availableReplicas": n}
        if obj["kind"] == "ScaledObject":
            obj["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
        objects.append(obj)
    return objects


def snapshot(objects, pods=(), events=()):
    snap = Snapshot("containo", pods=list(pods), events=list(events))
    for obj in objects:
        snap.objects.setdefault((obj["apiVersion"], obj["kind"]), {})[obj["metadata"]["name"]] = obj
    return snap


def checkpoint(wanted, snap):
    """What check_config() and workshop progress judge: every field of each container (full)."""
    return judge(wanted, snap, full=True)


def find(objects, kind, name):
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def container(objects, deployment, name):
    return next(c for c in find(objects, "Deployment", deployment)["spec"]["template"]["spec"]["containers"]
                if c["name"] == name)


def not_rolled_out(objects, name):
    deployment = find(objects, "Deployment", name)
    deployment["metadata"]["generation"] = 2
    deployment["status"].update(observedGeneration=2, updatedReplicas=1, availableReplicas=deployment["spec"]
                                ["replicas"])


def test_the_state_manifests_07_builds_passes():
    assert checkpoint(expected(), snapshot(live_state())) == []


def test_envfrom_missing_is_named_with_the_config_map():
    objects = live_state()
    container(objects, WORKER, "queue-processor").pop("envFrom")
    assert checkpoint(expected(), snapshot(objects)) == [
        f"deployment/{WORKER}: container queue-processor does not read configmap/containo-orders-config (envFrom)"]


def test_a_misnamed_secret_key_is_named_and_the_kubelets_refusal_explains_the_stuck_rollout():
    objects = live_state()
    ref = next(v for v in container(objects, API, "orders-api")["env"] if v["name"] == "REDIS_PASSWORD")
    ref["valueFrom"]["secretKeyRef"]["key"] = "password"
    not_rolled_out(objects, API)
    waiting = {"waiting": {"reason": "CreateContainerConfigError",
                           "message": "couldn't find key password in Secret containo/containo-orders-redis"}}
    stuck = pod("containo-orders-frontend-7d9c6b5f4-x2x7q", containers=("orders-api", "orders-validator"),
                ready=True)
    stuck["status"]["containerStatuses"][0].update(ready=False, state=waiting)
    stuck["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    problems = checkpoint(expected(), snapshot(objects, pods=[stuck], events=[
        event(stuck["metadata"]["name"], "Failed",
              "Error: couldn't find key password in Secret containo/containo-orders-redis")]))
    assert problems[0] == (f"deployment/{API}: container orders-api: REDIS_PASSWORD is read from "
                           "secret/containo-orders-redis key 'password', expected secret/containo-orders-redis key "
                           "'redis-password'")
    assert problems[1].startswith(f"deployment/{API} is not ready: Waiting for deployment \"{API}\" rollout")
    assert ("container orders-api is waiting: CreateContainerConfigError: couldn't find key password in Secret "
            "containo/containo-orders-redis") in problems[1]
    assert len(problems) == 2


def test_a_password_not_read_at_all_a_secret_without_its_key_and_a_redis_without_requirepass():
    objects = live_state()
    worker = container(objects, WORKER, "queue-processor")
    worker["env"] = [v for v in worker["env"] if v["name"] != "REDIS_PASSWORD"]
    secret = find(objects, "Secret", "containo-orders-redis")
    secret["data"] = {"password": secret["data"].pop("redis-password")}
    redis = container(objects, CACHE, "redis")
    redis["args"] = redis["args"][:-2]
    problems = checkpoint(expected(), snapshot(objects))
    assert problems == [
        "secret/containo-orders-redis has no key 'redis-password' (its keys: password)",
        f"deployment/{CACHE}: container redis runs redis-server --save '' --appendonly no --maxmemory 48mb "
        "--maxmemory-policy allkeys-lru, expected redis-server --save '' --appendonly no --maxmemory 48mb "
        "--maxmemory-policy allkeys-lru --requirepass '$(REDIS_PASSWORD)'",
        f"deployment/{WORKER}: container queue-processor: REDIS_PASSWORD is not read from "
        "secret/containo-orders-redis key 'redis-password' (env, valueFrom.secretKeyRef)"]


def test_a_variable_that_hides_the_config_maps_and_keda_without_the_password():
    objects = live_state()
    container(objects, API, "orders-api")["env"].append({"name": "QUEUE_REDIS_URL",
                                                         "value": "redis://containo-orders-queue:6379/0"})
    find(objects, "ScaledObject", WORKER)["spec"]["triggers"][0].pop("authenticationRef")
    find(objects, "TriggerAuthentication", "containo-orders-queue-auth")["spec"]["secretTargetRef"][0]["key"] = "pw"
    assert checkpoint(expected(), snapshot(objects)) == [
        f"deployment/{API}: container orders-api sets QUEUE_REDIS_URL itself (env), which wins over the ConfigMap's "
        "QUEUE_REDIS_URL: remove it from env",
        f"scaledobject/{WORKER}: trigger 0 has no authenticationRef, expected 'containo-orders-queue-auth' (without it "
        "KEDA reads the queue without the password)",
        "triggerauthentication/containo-orders-queue-auth: 'password' comes from secret/containo-orders-redis key "
        "'pw', expected secret/containo-orders-redis key 'redis-password'"]


def chapter_objects(chapter, kind="Deployment"):
    return [manifests.localize(o, "containo", lambda obj: obj["kind"] != "Namespace")
            for o in manifests.chapter_objects(chapter) if o["kind"] == kind]


def test_the_earlier_checkpoints_still_pass_on_chapter_07s_state():
    """`workshop progress` keeps PASS for chapters 3 to 5 once chapter 07 changed their objects (the API's readiness
    asks /readyz, not 03's /healthz): an object in the form a later chapter gives it counts as built."""
    objects = live_state()
    wanted = {n: chapter_objects(n) for n in manifests.chapter_folders()}
    for chapter in (3, 4, 5):
        assert judge_chapter(wanted[chapter], snapshot(objects), later_versions(chapter, wanted)) == [], chapter
    assert checkpoint(wanted[3], snapshot(objects)) == [  # what it says without the later versions
        f"deployment/{API}: container orders-api: its readinessProbe asks httpGet /readyz on port 80, expected "
        "httpGet /healthz on port 80"]


def test_an_earlier_chapters_mistake_is_still_named_when_the_object_is_not_in_a_later_form():
    """A chapter 03 learner whose sidecar has a wrong ORDER_LIMIT still hears it: the API is not in 07's form."""
    sidecar = copy.deepcopy(chapter_objects(3)[0])
    sidecar["status"] = {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}
    sidecar["metadata"]["generation"] = 1
    validator = sidecar["spec"]["template"]["spec"]["containers"][1]
    next(v for v in validator["env"] if v["name"] == "ORDER_LIMIT")["value"] = "50"
    wanted = {n: chapter_objects(n) for n in manifests.chapter_folders()}
    assert judge_chapter(wanted[3], snapshot([sidecar]), later_versions(3, wanted)) == [
        f"deployment/{API}: container orders-validator sets ORDER_LIMIT=50, expected 100"]


@pytest.mark.parametrize("changed, restarted", [
    ({("configmap", "containo-orders-config")}, [API, WORKER]),
    ({("secret", "containo-orders-redis")}, [API, CACHE, "containo-orders-queue", WORKER]),
    ({("configmap", "something-else")}, []),
])
def test_ensure_chapter_restarts_the_readers_of_what_it_put_back(changed, restarted):
    deployments = [o for o in expected() if o["kind"] == "Deployment"]
    assert sorted(configuration.to_restart(deployments, changed)) == sorted(restarted)


def test_the_mark_kubectl_rollout_restart_leaves_is_taken_back_only_when_the_manifest_has_none():
    want = find(expected(), "Deployment", API)
    live = copy.deepcopy(want)
    assert configuration.forget_restart_patch(live, want) == []
    live["spec"]["template"]["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": "2026-05-01T12:00:00Z"}
    assert configuration.forget_restart_patch(live, want) == [
        {"op": "remove", "path": "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt"}]
    assert configuration.forget_restart_patch(live, live) == []  # a manifest that restarts on purpose keeps it


DIFF = """diff -u -N /tmp/LIVE-{a}/apps.v1.Deployment.containo.containo-orders-cache /tmp/MERGED-{b}/apps.v1.Deployment.c
--- /tmp/LIVE-{a}/apps.v1.Deployment.containo.containo-orders-cache\t2026-12-07 05:19:25.043715206 +0000
+++ /tmp/MERGED-{b}/apps.v1.Deployment.containo.containo-orders-cache\t2026-12-07 05:19:2{c}.043715206 +0000
@@ -4,7 +4,7 @@
   annotations:
     deployment.kubernetes.io/revision: "{r}"
-  generation: {r}
+  generation: {g}
@@ -{line},6 +{line},16 @@
         - allkeys-lru
+        - --requirepass
+        - $(REDIS_PASSWORD)
"""


def test_kubectl_diff_and_rollout_status_sanitise_what_history_and_timing_change_and_keep_the_change():
    from helpers.volatile import sanitize

    first = DIFF.format(a=1869152613, b=1667972164, c=5, r=1, g=2, line=44)
    second = DIFF.format(a=87182825, b=4083958908, c=7, r=11, g=12, line=46)
    assert sanitize(first) == sanitize(second)
    assert sanitize(first.replace("--requirepass", "--port")) != sanitize(first)  # the change itself is compared
    status = ('Waiting for deployment "containo-orders-frontend" rollout to finish: 1 out of 2 new replicas have '
              'been updated...\n' * 3 + 'deployment "containo-orders-frontend" successfully rolled out\n')
    assert sanitize(status) == 'deployment "containo-orders-frontend" successfully rolled out\n'
