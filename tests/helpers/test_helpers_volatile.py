"""Helper output is sanitisable: two runs that differ only in volatile values compare equal once sanitised."""
import configparser
import re
from datetime import datetime, timezone

from helper_objects import deployment, pod, replicaset, service, shown
from helpers.volatile import PATTERNS, nbval_sanitize_file, sanitize


def run(hash_, suffixes, ips, now_second, cluster_ip, node_port):
    api = deployment("containo-orders-frontend", "api")
    rs = replicaset(f"containo-orders-frontend-{hash_}", api, 1, 2, "api")
    pods = []
    for suffix, ip in zip(suffixes, ips):
        p = pod(f"containo-orders-frontend-{hash_}-{suffix}", rs)
        p["status"]["podIP"], p["status"]["podIPs"] = ip, [{"ip": ip}]
        pods.append(p)
    svc = service("containo-orders-frontend", "api", kind="LoadBalancer", port=1337, target=80,
                  ingress=[{"ip": ips[0]}])
    svc["spec"]["clusterIP"], svc["spec"]["clusterIPs"] = cluster_ip, [cluster_ip]
    svc["spec"]["ports"][0]["nodePort"] = node_port
    svc["metadata"]["creationTimestamp"] = "2026-05-01T11:59:30Z"
    now = datetime(2026, 5, 1, 12, 0, now_second, tzinfo=timezone.utc)
    tables = [shown("pods", pods, now, wide=True), shown("replicasets", [rs], now), shown("services", [svc], now)]
    return "\n".join(t.text() + t._repr_html_() for t in tables)


def test_runs_differing_in_volatile_values_sanitise_to_the_same_text():
    first = run("7d4b9c8f6", ["x2x9q", "bq7cd"], ["10.244.1.5", "10.244.2.17"], 1, "10.96.0.12", 31337)
    second = run("5f6c7d8b9d", ["qq7rt", "zz4mn"], ["10.244.2.123", "10.244.1.9"], 59, "10.96.112.4", 30080)
    assert first != second
    assert sanitize(first) == sanitize(second)
    assert "containo-orders-frontend-HASH-SUFFIX" in sanitize(first)
    assert "containo-orders-frontend AGE" not in sanitize(first)  # the deployment's own name is kept


def test_scenario_names_are_not_mistaken_for_random_suffixes():
    names = "containo-orders-frontend containo-orders-cache-service containo-orders-queue-processor containo"
    assert sanitize(names) == names


def test_nbval_file_has_one_section_per_pattern():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(nbval_sanitize_file())
    assert len(parser.sections()) == len(PATTERNS)
    for section, (pattern, _replacement) in zip(parser.sections(), PATTERNS):
        assert parser[section]["regex"] == pattern and re.compile(parser[section]["regex"])


def test_generated_suffixes_and_raw_template_hashes_are_sanitised():
    first = ("containo-orders-cache-service-x7k2p IPv4 6379 10.244.1.9\n"
             "pods service=api,pod-template-hash=654ddc88bf deleted\n"
             '"pod-template-hash": "654ddc88bf", the pods have pod-template-hash 654ddc88bf\n')
    second = first.replace("x7k2p", "b9zzq").replace("654ddc88bf", "59f86f765f")
    assert sanitize(first) == sanitize(second)
    assert "containo-orders-cache-service-SUFFIX" in sanitize(first)
    assert "pod-template-hash=HASH" in sanitize(first) and '"pod-template-hash": "HASH"' in sanitize(first)
    prose = "the pod-template-hash label; containo-orders-queue-processor, containo-orders-cache-service"
    assert sanitize(prose) == prose


def test_a_chart_becomes_one_word_and_the_rest_of_the_output_is_still_compared():
    from helpers.charts import Series, line_chart

    small = line_chart([Series("replicas", [(0, 2), (15, 6)])], title="run 1")
    large = line_chart([Series("replicas", [(0, 2), (30, 6), (60.5, 2)])], title="10.244.1.5 at 2026-05-01T12:00:00Z")
    assert sanitize(f"before\n{small}\nafter") == sanitize(f"before\n{large}\nafter") == "before\nLIVE-CHART\nafter"
    assert sanitize(small + small) == "LIVE-CHARTLIVE-CHART"  # two charts stay two: the match stops at </svg>
    assert sanitize("<svg xmlns='x'><text>10.2.3.4</text></svg>") == "<svg xmlns='x'><text>IP</text></svg>"


def explained(cpu, memory, first, now, path, peak, ms):
    """What chapter 06 prints around real load: its numbers differ from run to run and machine to machine."""
    return "\n".join([
        f"horizontalpodautoscaler/containo-orders-frontend reads its metrics: cpu {cpu[0]}%/50%, memory {memory}%/80%",
        f"containo-orders-frontend   Deployment/containo-orders-frontend   cpu: {cpu[0]}%/50%, memory: {memory}%/80%",
        f"2 → {first} replicas",
        f"  cpu: {cpu[1]}% of requests, target 50%  →  ceil(2 × {cpu[1]} / 50) = ceil({2 * cpu[1] / 50:g}) = {first}",
        f"  highest proposal: {first}, within minReplicas 2, maxReplicas 8: the HPA sets {first}",
        f"horizontalpodautoscaler/containo-orders-frontend: {now} replicas now",
        f"  cpu: {cpu[2]}% of requests, target 50%  →  {cpu[2]} / 50 = {cpu[2] / 50:g}, within 10% of 1: stays {now}"
        if cpu[2] > 45 else
        f"  cpu: {cpu[2]}% of requests, target 50%  →  ceil({now} × {cpu[2]} / 50) = ceil({now * cpu[2] / 50:g}) = "
        f"{now}",
        f"  highest proposal: {now - 1}; the HPA sets {now} (minReplicas 2, maxReplicas 8): stabilized",
        "  HPA decisions: " + " → ".join(str(n) for n in path),
        f"  peak {peak} replicas, now {path[-1]}",
        f'{{"event": "order.processed", "fields": {{"amount": 42, "durationMs": {ms}}}}}',
    ])


def test_real_load_sanitises_its_numbers_and_keeps_what_the_cell_says():
    first = explained((3, 84, 46), 33, 4, 5, [2, 4, 5, 4, 3, 2], 5, 2001.3)
    second = explained((1, 74, 41), 34, 3, 4, [2, 3, 4, 2], 4, 2000.9)
    assert first != second and sanitize(first) == sanitize(second)
    kept = sanitize(first)
    assert "cpu PCT%/50%, memory PCT%/80%" in kept and "cpu: PCT%/50%, memory: PCT%/80%" in kept
    assert "2 → N replicas" in kept and " cpu: PCT% of requests, target 50% → PROPOSAL" in kept
    assert "HPA decisions: 2 → ... → 2" in kept and "peak N replicas, now 2" in kept
    assert '"amount": 42, "durationMs": MS' in kept
    # What the cell is about still differs: another target, metric, minimum, end point or amount is a drift.
    for drifted in (first.replace("/50%", "/80%"), first.replace("memory", "cpu"), first.replace("2 → 4", "3 → 4"),
                    first.replace("→ 3 → 2", "→ 3 → 1"), first.replace("now 2", "now 3"),
                    first.replace('"amount": 42', '"amount": 43'), first.replace("target 50%", "target 60%")):
        assert sanitize(drifted) != kept, drifted


def test_plain_numbers_and_percentages_elsewhere_are_still_compared():
    prose = "print(6 * 7) -> 42; 3 replicas; requests memory 128Mi; 50% of the pods; averageUtilization: 50"
    assert sanitize(prose) == prose


def test_what_a_pods_trouble_leaves_behind_is_sanitised():
    """Chapter 08 shows kubectl describe, get events, rollout status and top: two runs that differ in dates,
    container ids, token volumes, nodes, how often an event repeated so far, a probe that ran before the program
    listened, rollout progress and measured usage compare equal; what the learner reads stays."""
    first = (
        "Node:             sandbox-worker/172.18.0.3\nStart Time:       Mon, 07 Dec 2026 05:05:20 +0000\n"
        "    Container ID:  containerd://" + "ad5cb946" * 8 + "\n"
        "      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-gsv5s (ro)\n"
        "  Normal   Pulling    1s (x3 over 5s)  kubelet            Pulling image \"containo-orders:v2\"\n"
        "  Warning  BackOff    1s (x3 over 4s)  kubelet            Back-off restarting failed container "
        "orders-validator in pod containo-orders-frontend-599c647475-mxmbc_containo(3337f326-1110-4748-aad5-c93fbd4f57bd)\n"
        '  Warning  Unhealthy  2s               kubelet            Readiness probe failed: Get '
        '"http://10.244.1.6:81/healthz": dial tcp 10.244.1.6:81: connect: connection refused\n'
        'Waiting for deployment "containo-orders-frontend" rollout to finish: 1 out of 2 new replicas have been '
        "updated...\n"
        'deployment "containo-orders-frontend" successfully rolled out\n'
        "containo-orders-frontend-76f4686cdf-fs5rk   13m          64Mi            \n")
    second = (
        "Node:             sandbox-worker2/172.18.0.4\nStart Time:       Tue, 08 Dec 2026 11:15:02 +0000\n"
        "    Container ID:  containerd://" + "7a4a6644" * 8 + "\n"
        "      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-66lmb (ro)\n"
        "  Normal   Pulling    0s (x4 over 9s)  kubelet            Pulling image \"containo-orders:v2\"\n"
        "  Warning  BackOff    2s               kubelet            Back-off restarting failed container "
        "orders-validator in pod containo-orders-frontend-7c9d5b8f4d-zz4mn_containo(1e1e1e1e-2222-4333-8444-555555555555)\n"
        'deployment "containo-orders-frontend" successfully rolled out\n'
        "containo-orders-frontend-5b8965ddd-47lqq   7m          63Mi            \n")
    assert sanitize(first) == sanitize(second)
    kept = sanitize(first)
    assert 'Pulling image "containo-orders:v2"' in kept and "successfully rolled out" in kept
    assert "Back-off restarting failed container orders-validator in pod containo-orders-frontend-HASH-SUFFIX_" in kept
    assert "Readiness probe failed: HTTP probe failed with statuscode: 503" in sanitize(
        "Readiness probe failed: HTTP probe failed with statuscode: 503")


def test_rollout_progress_a_rewritten_file_and_the_node_of_a_pod_are_sanitised():
    """Chapters 03-05: `kubectl rollout status` keeps its last line, %%writefile its file name, `-o wide` its columns."""
    first = ('Waiting for deployment "containo-orders-frontend" rollout to finish: 1 out of 2 new replicas have been '
             'updated...\nWaiting for deployment spec update to be observed...\n'
             'deployment "containo-orders-frontend" successfully rolled out\n'
             "Writing my-work/cache-service.yaml\n"
             "containo-orders-frontend-76f4686cdf-fktkg   2/2   Running   0   3s   10.244.1.6   sandbox-worker    <none>\n")
    second = ('deployment "containo-orders-frontend" successfully rolled out\n'
              "Overwriting my-work/cache-service.yaml\n"
              "containo-orders-frontend-5d9c7b6f4c-gjxjm   2/2   Running   0   4s   10.244.2.6   sandbox-worker2   <none>\n")
    assert sanitize(first) == sanitize(second)
    assert sanitize(second).splitlines()[:2] == ['deployment "containo-orders-frontend" successfully rolled out',
                                                 "Writing my-work/cache-service.yaml"]
    assert "IP sandbox-worker-N <none>" in sanitize(second)
    assert sanitize('deployment "x" exceeded its progress deadline') == 'deployment "x" exceeded its progress deadline'
