"""The topology diagram: ownership and selector arrows, a deterministic layout, a text outline."""
import random
import xml.etree.ElementTree as ET

from helper_objects import deployment, pod, replicaset, service
from helpers.topology import group, outline, render

SVG = "{http://www.w3.org/2000/svg}"


def scene():
    api = deployment("containo-orders-frontend", "api", containers=("orders-api", "orders-validator"))
    cache = deployment("containo-orders-cache", "cache", replicas=1, containers=("redis",))
    old = replicaset("containo-orders-frontend-5f6c7d8b9d", api, 1, 0, "api")
    new = replicaset("containo-orders-frontend-7d4b9c8f6", api, 2, 2, "api")
    cache_rs = replicaset("containo-orders-cache-6b8d9f7c5", cache, 1, 1, "cache")
    pods = [pod("containo-orders-frontend-7d4b9c8f6-x2x9q", new, containers=("orders-api", "orders-validator")),
            pod("containo-orders-frontend-7d4b9c8f6-ab12c", new, containers=("orders-api", "orders-validator")),
            pod("containo-orders-cache-6b8d9f7c5-qq7rt", cache_rs, service="cache", containers=("redis",)),
            pod("debug", None, service="debug", ready=False, containers=("shell",))]
    services = [service("containo-orders-cache-service", "cache"),
                service("containo-orders-frontend", "api", kind="LoadBalancer", port=1337, target=80)]
    return [api, cache], [old, new, cache_rs], pods, services


def test_grouping_follows_owner_references_and_hides_scaled_down_history():
    deployments, replicasets, pods, _ = scene()
    groups = group(deployments, replicasets, pods)
    assert [g.deployment["metadata"]["name"] if g.deployment else None for g in groups] == [
        "containo-orders-cache", "containo-orders-frontend", None]
    frontend = groups[1]
    assert [rs["metadata"]["name"] for rs, _ in frontend.replicasets] == ["containo-orders-frontend-7d4b9c8f6"]
    assert frontend.old == 1 and len(frontend.replicasets[0][1]) == 2
    assert [p["metadata"]["name"] for p in groups[2].loose_pods] == ["debug"]


def test_svg_is_valid_and_draws_every_object_and_container():
    svg = render("containo", *scene())
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for name in ("namespace containo", "containo-orders-frontend", "containo-orders-frontend-7d4b9c8f6",
                 "containo-orders-frontend-7d4b9c8f6-x2x9q", "orders-validator", "redis",
                 "containo-orders-cache-service", "+1 old ReplicaSet at 0", "debug"):
        assert name in texts
    assert "LoadBalancer 1337→80" in texts and "ClusterIP 6666→6379" in texts


def test_service_arrows_go_to_exactly_the_selected_pods():
    svg = render("containo", *scene())
    dashed = [p for p in ET.fromstring(svg).iter(f"{SVG}path") if p.get("stroke-dasharray")]
    assert len(dashed) == 3  # the cache service to its pod, the API service to the two API pods
    solid = [p for p in ET.fromstring(svg).iter(f"{SVG}path") if not p.get("stroke-dasharray") and p.get("d")
             and p.get("d").startswith("M") and p.get("marker-end")]
    assert len(solid) == 2 + 3  # deployment -> replica set (2), replica set -> pod (3)


def test_layout_is_deterministic_whatever_the_input_order():
    deployments, replicasets, pods, services = scene()
    first = render("containo", deployments, replicasets, pods, services)
    rng = random.Random(7)
    for _ in range(5):
        for items in (deployments, replicasets, pods, services):
            rng.shuffle(items)
        assert render("containo", deployments, replicasets, pods, services) == first


def test_empty_namespace_and_outline():
    assert "(no deployments, pods or services yet)" in render("containo-alice", [], [], [], [])
    text = outline("containo", *scene())
    assert "  deployment/containo-orders-frontend  (+1 old replica sets)" in text
    assert ("  service/containo-orders-cache-service  ClusterIP 6666→6379  -> "
            "containo-orders-cache-6b8d9f7c5-qq7rt") in text
