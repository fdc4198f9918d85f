"""Random and mutated JSON thrown at every machinery function: each must either succeed or raise StatusError,
never another exception (the HTTP layer would turn that into a 500)."""
import copy
import random

import pytest

from sandbox.machinery import (conversion, errors, labels, patching, resources,
                               server_side_apply, validation)
from sandbox.registry import kinds

SEEDS = range(6)
ITERATIONS = 60
SCALARS = [None, True, False, 0, -1, 3, 2**40, 1.5, "", "x", "Always", "25%", "1Gi", "-", "a=b", "$patch",
           "delete", "replace", "name", "k:{", "é"]
KEYS = ["spec", "metadata", "name", "containers", "image", "replicas", "selector", "matchLabels", "labels",
        "template", "ports", "containerPort", "protocol", "$patch", "$retainKeys", "$setElementOrder/containers",
        "$deleteFromPrimitiveList/finalizers", "finalizers", "status", "type", "metrics", "resources", "limits",
        "cpu", "managedFields", "fieldsV1", "f:spec", "strategy", "rollingUpdate", "maxSurge", "annotations",
        "minAvailable", "maxUnavailable", "unhealthyPodEvictionPolicy", "conditions", "disruptedPods"]
BASE = {"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns", "labels": {"app": "web"}, "finalizers": ["a"]},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "api", "image": "x",
                                                       "ports": [{"containerPort": 80}],
                                                       "resources": {"limits": {"cpu": "1"}}}]}}}}


def random_value(rng, depth=0):
    roll = rng.random()
    if depth > 4 or roll < 0.45:
        return rng.choice(SCALARS)
    if roll < 0.75:
        return {rng.choice(KEYS): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]


def mutate(rng, obj):
    """Replace, delete or add one random node somewhere in a copy of obj."""
    obj = copy.deepcopy(obj)
    node = obj
    for _ in range(rng.randint(0, 6)):
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) \
            if isinstance(node, list) else []
        containers = [(k, v) for k, v in children if isinstance(v, (dict, list))]
        if not containers:
            break
        key, child = rng.choice(containers)
        if rng.random() < 0.3:
            node[key] = random_value(rng)
            return obj
        node = child
    if isinstance(node, dict):
        if node and rng.random() < 0.3:
            del node[rng.choice(list(node))]
        else:
            node[rng.choice(KEYS)] = random_value(rng)
    elif isinstance(node, list):
        node.append(random_value(rng))
    return obj


def only_status_errors(call, *args):
    try:
        call(*args)
    except errors.StatusError:
        pass


RTS = [resources.by_kind(*gvk) for gvk in [("apps/v1", "Deployment"), ("v1", "Pod"), ("v1", "Service"),
                                            ("autoscaling/v2", "HorizontalPodAutoscaler"),
                                            ("autoscaling/v1", "HorizontalPodAutoscaler"),
                                            ("keda.sh/v1alpha1", "ScaledObject"), ("v1", "Namespace"),
                                            ("policy/v1", "PodDisruptionBudget")]]


@pytest.mark.parametrize("seed", SEEDS)
def test_selectors(seed):
    rng = random.Random(seed)
    alphabet = "ab=!,() <>in notin\\x-./"
    for _ in range(ITERATIONS * 3):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 15)))
        only_status_errors(labels.parse, text)
        only_status_errors(kinds.field_selector, text, rng.choice(RTS))
        only_status_errors(labels.from_label_selector, random_value(rng))
        labels.format_label_selector(random_value(rng))


@pytest.mark.parametrize("seed", SEEDS)
def test_decode_defaults_validate(seed):
    rng = random.Random(seed)
    for _ in range(ITERATIONS):
        rt = rng.choice(RTS)
        body = mutate(rng, BASE) if rng.random() < 0.7 else random_value(rng)
        for mode in ("Strict", "Warn", "Ignore"):
            only_status_errors(validation.decode, rt, copy.deepcopy(body), mode)
        if isinstance(body, dict):
            try:
                validation.decode(rt, body, "Ignore")
            except errors.StatusError:
                continue
            kinds.apply_defaults(rt, body)
            only_status_errors(kinds.validate, rt, body, mutate(rng, BASE))
            only_status_errors(kinds.validate, rt, body)
            only_status_errors(conversion.convert, {**body, "kind": "HorizontalPodAutoscaler"},
                               rng.choice(["autoscaling/v1", "autoscaling/v2"]))


@pytest.mark.parametrize("seed", SEEDS)
def test_patches(seed):
    rng = random.Random(seed)
    for _ in range(ITERATIONS):
        target = mutate(rng, BASE)
        only_status_errors(patching.apply_strategic_merge_patch, target, mutate(rng, random_value(rng) or {}),
                           "apps/v1", "Deployment")
        only_status_errors(patching.apply_strategic_merge_patch, target, mutate(rng, BASE), "v1", "Pod")
        only_status_errors(patching.apply_merge_patch, target, random_value(rng))
        ops = [{"op": rng.choice(["add", "remove", "replace", "move", "copy", "test", "nope"]),
                "path": rng.choice(["/spec", "/spec/replicas", "/metadata/labels/x", "/spec/template/spec/"
                                    "containers/0", "/x/y", "", "bad", "/spec/template/spec/containers/-"]),
                "from": rng.choice(["/spec", "/nope"]), "value": random_value(rng)}
               for _ in range(rng.randint(0, 3))]
        only_status_errors(patching.apply_json_patch, target, rng.choice([ops, random_value(rng)]))


@pytest.mark.parametrize("seed", SEEDS)
def test_server_side_apply(seed):
    rng = random.Random(seed)
    live = server_side_apply.record_update(None, BASE, "creator", "apps/v1", "T0")
    for i in range(ITERATIONS):
        applied = mutate(rng, BASE)
        only_status_errors(server_side_apply.apply, rng.choice([live, None, mutate(rng, live)]), applied,
                           rng.choice(["kubectl", "ci", ""]), rng.random() < 0.5, "apps/v1", "Deployment", f"T{i}")
        only_status_errors(server_side_apply.record_update, rng.choice([live, None, mutate(rng, live)]),
                           mutate(rng, live), "m", "apps/v1", f"T{i}", rng.choice(["", "status"]))


def test_deeply_nested_input_is_a_bad_request():
    deep = {}
    node = deep
    for _ in range(5000):
        node["f"] = {}
        node = node["f"]
    body = {**copy.deepcopy(BASE), "metadata": {**BASE["metadata"], "managedFields": [{"fieldsV1": deep}]}}
    calls = [(conversion.convert, {**body, "kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v1"},
              "autoscaling/v2"),
             (patching.apply_json_patch, body, [{"op": "add", "path": "/x", "value": deep}]),
             (patching.apply_merge_patch, body, {"x": deep}),
             (patching.apply_strategic_merge_patch, body, {"x": deep}, "apps/v1", "Deployment"),
             (server_side_apply.record_update, None, {**body, "x": deep}, "m", "apps/v1", "T"),
             (server_side_apply.apply, None, {**BASE, "x": deep}, "m", False, "apps/v1", "Deployment", "T"),
             (validation.validate, RTS[0], {**body, "x": deep})]
    for call, *args in calls:
        only_status_errors(call, *args)
