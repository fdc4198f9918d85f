"""kubectl get tables: the columns and cells kube-apiserver 1.37's printers produce."""
import pytest

from sandbox.api import tables
from sandbox.machinery import errors, resources
from sandbox.printers.common import human_duration

NOW = 1_800_000_000.0  # a fixed "now" so ages are exact


def ts(seconds_ago: float) -> str:
    from datetime import datetime, timezone
    return datetime.fromtimestamp(NOW - seconds_ago, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rt(group: str, version: str, plural: str):
    return resources.lookup(group, version, plural)


def make(plural, group="", version="v1", objects=(), wide=True, **kw):
    return tables.table(rt(group, version, plural), list(objects), wide=wide, now=NOW, **kw)


def headers(table):
    return [c["name"] for c in table["columnDefinitions"]]


def cells(table, i=0):
    return table["rows"][i]["cells"]


def meta(name, age=60, **extra):
    return {"name": name, "namespace": "containo", "creationTimestamp": ts(age), "resourceVersion": "42",
            "uid": "u-" + name, **extra}


@pytest.mark.parametrize("seconds,expected", [
    (0, "0s"), (-1.5, "0s"), (-3, "<invalid>"), (45, "45s"), (119, "119s"), (120, "2m"), (303, "5m3s"),
    (600, "10m"), (179 * 60 + 59, "179m"), (3 * 3600, "3h"), (3 * 3600 + 20 * 60, "3h20m"), (8 * 3600 + 59, "8h"),
    (47 * 3600, "47h"), (48 * 3600, "2d"), (52 * 3600, "2d4h"), (8 * 86400, "8d"), (400 * 86400, "400d"),
    (3 * 365 * 86400 + 10 * 86400, "3y10d"), (9 * 365 * 86400, "9y"),
])
def test_human_duration_matches_apimachinery(seconds, expected):
    assert human_duration(seconds) == expected


# --- pods ---------------------------------------------------------------------------------------------------

def pod(name="web", phase="Running", statuses=(), age=60, spec_extra=None, status_extra=None, meta_extra=None):
    spec = {"containers": [{"name": "orders-api", "image": "containo/orders:1"},
                           {"name": "orders-validator", "image": "containo/validator:1"}],
            "nodeName": "sandbox-worker", **(spec_extra or {})}
    status = {"phase": phase, "containerStatuses": list(statuses), **(status_extra or {})}
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta(name, age, **(meta_extra or {})), "spec": spec,
            "status": status}


def running(name, ready=True, restarts=0, last_finished=None):
    cs = {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {"startedAt": ts(30)}}}
    if last_finished is not None:
        cs["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": ts(last_finished)}}
    return cs


def waiting(name, reason, restarts=0):
    return {"name": name, "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}}}


def test_pod_columns_wide_and_narrow():
    wide = make("pods", objects=[pod()])
    assert headers(wide) == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
                             "Readiness Gates"]
    assert [c["priority"] for c in wide["columnDefinitions"]] == [0] * 5 + [1] * 4
    assert wide["columnDefinitions"][0]["format"] == "name"
    assert wide["columnDefinitions"][3]["type"] == "string"
    narrow = make("pods", objects=[pod()], wide=False)
    assert headers(narrow) == ["Name", "Ready", "Status", "Restarts", "Age"] and len(cells(narrow)) == 5


def test_running_pod_cells():
    p = pod(statuses=[running("orders-api"), running("orders-validator")],
            status_extra={"podIPs": [{"ip": "10.244.1.5"}], "podIP": "10.244.1.5"})
    assert cells(make("pods", objects=[p])) == ["web", "2/2", "Running", "0", "60s", "10.244.1.5",
                                                "sandbox-worker", "<none>", "<none>"]


@pytest.mark.parametrize("p,status,ready", [
    (pod(phase="Pending", spec_extra={"nodeName": ""}), "Pending", "0/2"),
    (pod(phase="Pending", statuses=[waiting("orders-api", "ContainerCreating"),
                                    waiting("orders-validator", "ContainerCreating")]), "ContainerCreating", "0/2"),
    (pod(statuses=[running("orders-api"), running("orders-validator", ready=False)]), "Running", "1/2"),
    (pod(statuses=[running("orders-api"), waiting("orders-validator", "CrashLoopBackOff", 3)]),
     "CrashLoopBackOff", "1/2"),
    (pod(phase="Succeeded", statuses=[{"name": "orders-api", "state": {"terminated": {"exitCode": 0,
                                                                                       "reason": "Completed"}}}]),
     "Completed", "0/2"),
    (pod(statuses=[running("orders-api"), running("orders-validator")],
         meta_extra={"deletionTimestamp": ts(1)}), "Terminating", "2/2"),
    (pod(phase="Failed", statuses=[{"name": "orders-api", "state": {"terminated": {"exitCode": 137}}}]),
     "ExitCode:137", "0/2"),
    (pod(phase="Pending", spec_extra={"initContainers": [{"name": "migrate", "image": "m"}]},
         status_extra={"initContainerStatuses": [{"name": "migrate", "state": {"running": {}}}]}), "Init:0/1", "0/2"),
    (pod(statuses=[running("orders-api"), {"name": "orders-validator", "ready": False,
                                           "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
         status_extra={"conditions": [{"type": "Ready", "status": "False"}]}), "NotReady", "1/2"),
])
def test_pod_status_follows_the_printer(p, status, ready):
    row = cells(make("pods", objects=[p]))
    assert (row[2], row[1]) == (status, ready)


def test_pod_restarts_show_when_the_last_one_happened():
    p = pod(statuses=[running("orders-api", restarts=2, last_finished=125),
                      running("orders-validator", restarts=1, last_finished=400)])
    assert cells(make("pods", objects=[p]))[3] == "3 (2m5s ago)"


def test_sidecar_init_containers_count_as_containers():
    p = pod(spec_extra={"initContainers": [{"name": "proxy", "image": "p", "restartPolicy": "Always"}]},
            status_extra={"initContainerStatuses": [{"name": "proxy", "started": True, "ready": True,
                                                     "state": {"running": {}}}]},
            statuses=[running("orders-api"), running("orders-validator")])
    assert cells(make("pods", objects=[p]))[1:3] == ["3/3", "Running"]


def test_finished_pods_carry_a_completed_row_condition():
    done = make("pods", objects=[pod(phase="Succeeded")])["rows"][0]
    assert done["conditions"] == [{"type": "Completed", "status": "True", "reason": "Succeeded",
                                   "message": "The pod has completed successfully."}]
    assert "conditions" not in make("pods", objects=[pod()])["rows"][0]


def test_readiness_gates_count_true_conditions():
    p = pod(spec_extra={"readinessGates": [{"conditionType": "a"}, {"conditionType": "b"}]},
            status_extra={"conditions": [{"type": "a", "status": "True"}, {"type": "b", "status": "False"}]})
    assert cells(make("pods", objects=[p]))[8] == "1/2"


# --- workloads ----------------------------------------------------------------------------------------------

def deployment(replicas=3, ready=2, updated=3, available=2):
    return {"metadata": meta("containo-orders-frontend", 5 * 3600),
            "spec": {"replicas": replicas,
                     "selector": {"matchLabels": {"service": "api", "app": "containo"}},
                     "template": {"spec": {"containers": [{"name": "orders-api", "image": "orders:1"},
                                                          {"name": "orders-validator", "image": "validator:1"}]}}},
            "status": {"readyReplicas": ready, "updatedReplicas": updated, "availableReplicas": available}}


def test_deployment_table():
    t = make("deployments", "apps", objects=[deployment()])
    assert headers(t) == ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]
    assert cells(t) == ["containo-orders-frontend", "2/3", 3, 2, "5h", "orders-api,orders-validator",
                        "orders:1,validator:1", "app=containo,service=api"]
    assert headers(make("deployments", "apps", objects=[deployment()], wide=False)) == [
        "Name", "Ready", "Up-to-date", "Available", "Age"]


def test_deployment_without_status_is_zero_ready():
    d = deployment()
    del d["status"]
    assert cells(make("deployments", "apps", objects=[d]))[1:4] == ["0/3", 0, 0]


def test_replicaset_table():
    rs = deployment()
    rs["status"] = {"replicas": 3, "readyReplicas": 1}
    rs["spec"]["selector"]["matchExpressions"] = [{"key": "pod-template-hash", "operator": "In",
                                                   "values": ["b", "a"]}]
    t = make("replicasets", "apps", objects=[rs])
    assert headers(t) == ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"]
    assert [c["type"] for c in t["columnDefinitions"][1:4]] == ["integer"] * 3
    assert cells(t)[1:4] == [3, 3, 1]
    assert cells(t)[7] == "app=containo,pod-template-hash in (a,b),service=api"


# --- pod disruption budgets ------------------------------------------------------------------------------

def pdb(name, age=3600, status=None, **spec):
    return {"kind": "PodDisruptionBudget", "apiVersion": "policy/v1", "metadata": meta(name, age),
            "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec}, **({"status": status} if status else {})}


def test_pod_disruption_budget_table():
    t = make("poddisruptionbudgets", "policy", objects=[pdb("min", minAvailable=2, status={"disruptionsAllowed": 1}),
                                                          pdb("max", 90, maxUnavailable="25%"),
                                                          pdb("zero", maxUnavailable=0)])
    assert headers(t) == ["Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"]
    assert [c["type"] for c in t["columnDefinitions"]] == ["string", "string", "string", "integer", "string"]
    assert t["columnDefinitions"][3]["description"] == "Calculated number of pods that may be disrupted at this time."
    assert [cells(t, i) for i in range(3)] == [["min", "2", "N/A", 1, "60m"], ["max", "N/A", "25%", 0, "90s"],
                                               ["zero", "N/A", "0", 0, "60m"]]


# --- services and endpoints ---------------------------------------------------------------------------------

def service(kind="ClusterIP", ports=({"port": 6666, "targetPort": 6379, "protocol": "TCP"},), ingress=None,
            selector=None):
    svc = {"metadata": meta("containo-orders-cache-service", 90),
           "spec": {"type": kind, "clusterIP": "10.96.12.7", "clusterIPs": ["10.96.12.7"], "ports": list(ports),
                    "selector": selector if selector is not None else {"app": "containo", "service": "cache"}},
           "status": {}}
    if ingress is not None:
        svc["status"] = {"loadBalancer": {"ingress": ingress}}
    return svc


def test_service_table():
    t = make("services", objects=[service()])
    assert headers(t) == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]
    assert cells(t) == ["containo-orders-cache-service", "ClusterIP", "10.96.12.7", "<none>", "6666/TCP", "90s",
                        "app=containo,service=cache"]


def test_load_balancer_external_ip_pending_then_assigned():
    lb_ports = ({"port": 1337, "nodePort": 31234, "protocol": "TCP"},)
    pending = cells(make("services", objects=[service("LoadBalancer", lb_ports)]))
    assert pending[3:5] == ["<pending>", "1337:31234/TCP"]
    assigned = cells(make("services", objects=[service("LoadBalancer", lb_ports, [{"ip": "172.18.255.200"}])]))
    assert assigned[3] == "172.18.255.200"
    long_names = [{"hostname": "a-very-long-load-balancer-name.example.com"}]
    narrow = cells(make("services", objects=[service("LoadBalancer", lb_ports, long_names)], wide=False))
    assert narrow[3] == "a-very-long-l..."


def test_headless_service_without_ports_or_selector():
    svc = service(ports=(), selector={})
    svc["spec"]["clusterIPs"] = ["None"]
    assert cells(make("services", objects=[svc]))[2:] == ["None", "<none>", "<none>", "90s", "<none>"]


def test_endpoints_show_three_addresses_and_count_the_rest():
    ep = {"metadata": meta("containo-orders-frontend"),
          "subsets": [{"addresses": [{"ip": f"10.244.1.{i}"} for i in range(1, 6)],
                       "ports": [{"port": 80, "protocol": "TCP"}]}]}
    t = make("endpoints", objects=[ep, {"metadata": meta("empty")}])
    assert headers(t) == ["Name", "Endpoints", "Age"]
    assert cells(t, 0)[1] == "10.244.1.1:80,10.244.1.2:80,10.244.1.3:80 + 2 more..."
    assert cells(t, 1)[1] == "<none>"


def test_endpointslice_table():
    es = {"metadata": meta("containo-orders-frontend-abcde"), "addressType": "IPv4",
          "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
          "endpoints": [{"addresses": ["10.244.1.5"]}, {"addresses": ["10.244.2.7"]}]}
    t = make("endpointslices", "discovery.k8s.io", objects=[es, {"metadata": meta("bare"), "addressType": "IPv4"}])
    assert headers(t) == ["Name", "AddressType", "Ports", "Endpoints", "Age"]
    assert cells(t, 0)[1:4] == ["IPv4", "80", "10.244.1.5,10.244.2.7"]
    assert cells(t, 1)[2:4] == ["<unset>", "<unset>"]


# --- cluster objects ----------------------------------------------------------------------------------------

def node(name, role=None, ready="True", unschedulable=False):
    labels = {"kubernetes.io/hostname": name}
    if role:
        labels[f"node-role.kubernetes.io/{role}"] = ""
    return {"metadata": {"name": name, "labels": labels, "creationTimestamp": ts(3 * 86400)},
            "spec": {"unschedulable": unschedulable},
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"},
                                      {"type": "Ready", "status": ready}],
                       "addresses": [{"type": "InternalIP", "address": "172.18.0.2"},
                                     {"type": "Hostname", "address": name}],
                       "nodeInfo": {"kubeletVersion": "v1.37.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                                    "kernelVersion": "6.1.0", "containerRuntimeVersion": "containerd://2.1.0"}}}


def test_node_table():
    t = make("nodes", objects=[node("sandbox-control-plane", "control-plane"),
                               node("sandbox-worker", ready="False", unschedulable=True)])
    assert headers(t) == ["Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image",
                          "Kernel-Version", "Container-Runtime"]
    assert cells(t, 0) == ["sandbox-control-plane", "Ready", "control-plane", "3d", "v1.37.0", "172.18.0.2",
                           "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0", "containerd://2.1.0"]
    assert cells(t, 1)[1:3] == ["NotReady,SchedulingDisabled", "<none>"]


def test_namespace_table():
    t = make("namespaces", objects=[{"metadata": meta("containo", 10), "status": {"phase": "Terminating"}}])
    assert headers(t) == ["Name", "Status", "Age"] and cells(t) == ["containo", "Terminating", "10s"]


def test_event_table():
    ev = {"metadata": meta("web.17a"), "involvedObject": {"kind": "Pod", "name": "web", "fieldPath":
                                                          "spec.containers{orders-api}"},
          "reason": "Pulled", "message": "  Successfully pulled image  \n", "type": "Normal",
          "source": {"component": "kubelet", "host": "sandbox-worker"}, "firstTimestamp": ts(300),
          "lastTimestamp": ts(30), "count": 4}
    t = make("events", objects=[ev])
    assert headers(t) == ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen",
                          "Count", "Name"]
    assert cells(t) == ["30s", "Normal", "Pulled", "pod/web", "spec.containers{orders-api}",
                        "kubelet, sandbox-worker", "Successfully pulled image", "5m", 4, "web.17a"]
    narrow = make("events", objects=[ev], wide=False)
    assert headers(narrow) == ["Last Seen", "Type", "Reason", "Object", "Message"]


def test_new_style_event_uses_event_time_series_and_reporting_controller():
    ev = {"metadata": meta("x"), "involvedObject": {"kind": "Deployment", "name": "web"}, "reason": "ScalingReplicaSet",
          "type": "Normal", "message": "Scaled up", "eventTime": "2027-01-15T08:00:00.123456Z",
          "reportingComponent": "deployment-controller", "series": {"count": 7, "lastObservedTime": ts(5)}}
    row = cells(make("events", objects=[ev]))
    assert row[0] == "5s" and row[5] == "deployment-controller" and row[8] == 7
    ev.pop("series")
    assert cells(make("events", objects=[ev]))[8] == 1


def test_config_objects_count_their_data():
    cm = {"metadata": meta("settings"), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}
    assert headers(make("configmaps", objects=[cm])) == ["Name", "Data", "Age"]
    assert cells(make("configmaps", objects=[cm]))[1] == 3
    secret = {"metadata": meta("token"), "type": "Opaque", "data": {"password": "cw=="}}
    assert cells(make("secrets", objects=[secret])) == ["token", "Opaque", 1, "60s"]
    sa = {"metadata": meta("default")}
    assert headers(make("serviceaccounts", objects=[sa])) == ["Name", "Secrets", "Age"]
    assert cells(make("serviceaccounts", objects=[sa]))[1] == 0


# --- autoscalers --------------------------------------------------------------------------------------------

def hpa(metrics, current=(), min_replicas=2):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "containo-orders-frontend"},
            "maxReplicas": 10, "metrics": metrics}
    if min_replicas is not None:
        spec["minReplicas"] = min_replicas
    return {"metadata": meta("api"), "spec": spec, "status": {"currentReplicas": 3,
                                                               "currentMetrics": list(current)}}


def resource_metric(name, utilization):
    return {"type": "Resource", "resource": {"name": name, "target": {"type": "Utilization",
                                                                      "averageUtilization": utilization}}}


def test_hpa_targets_show_current_over_target_per_metric():
    h = hpa([resource_metric("cpu", 50), resource_metric("memory", 70)],
            [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 35}}}])
    t = make("horizontalpodautoscalers", "autoscaling", "v2", objects=[h])
    assert headers(t) == ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"]
    assert cells(t) == ["api", "Deployment/containo-orders-frontend", "cpu: 35%/50%, memory: <unknown>/70%", "2",
                        10, 3, "60s"]


def test_hpa_more_than_two_metrics_and_value_targets():
    h = hpa([resource_metric("cpu", 50), {"type": "Resource", "resource": {"name": "memory", "target": {
        "type": "AverageValue", "averageValue": "200Mi"}}}, {"type": "Pods", "pods": {"target": {
            "type": "AverageValue", "averageValue": "5"}}}], min_replicas=None)
    row = cells(make("horizontalpodautoscalers", "autoscaling", "v2", objects=[h]))
    assert row[2] == "cpu: <unknown>/50%, memory: <unknown>/200Mi + 1 more..."
    assert row[3] == "<unset>"
    assert cells(make("horizontalpodautoscalers", "autoscaling", "v2", objects=[hpa([])]))[2] == "<none>"


def test_hpa_v1_reads_its_cpu_target():
    h = {"metadata": meta("api"), "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 5,
                                           "targetCPUUtilizationPercentage": 80},
         "status": {"currentReplicas": 1, "currentCPUUtilizationPercentage": 12}}
    assert cells(make("horizontalpodautoscalers", "autoscaling", "v1", objects=[h]))[2] == "cpu: 12%/80%"


def test_scaledobject_uses_keda_printer_columns():
    so = {"metadata": meta("worker"), "spec": {"scaleTargetRef": {"name": "containo-orders-queue-processor"},
                                              "minReplicaCount": 0, "maxReplicaCount": 10},
          "status": {"scaleTargetKind": "apps/v1.Deployment", "triggersTypes": "redis",
                     "conditions": [{"type": "Ready", "status": "True"}, {"type": "Active", "status": "False"}]}}
    t = make("scaledobjects", "keda.sh", "v1alpha1", objects=[so])
    assert headers(t) == ["Name", "ScaleTargetKind", "ScaleTargetName", "Min", "Max", "Ready", "Active", "Fallback",
                          "Paused", "Triggers", "Authentications", "Age"]
    assert t["columnDefinitions"][-1]["type"] == "date" and t["columnDefinitions"][3]["type"] == "integer"
    assert cells(t) == ["worker", "apps/v1.Deployment", "containo-orders-queue-processor", 0, 10, "True", "False",
                        None, None, "redis", None, "60s"]


def test_metrics_tables_sum_container_usage():
    pm = {"kind": "PodMetrics", "metadata": meta("web"), "window": "15s",
          "containers": [{"name": "a", "usage": {"cpu": "1500000n", "memory": "2048Ki"}},
                         {"name": "b", "usage": {"cpu": "500000n", "memory": "2048Ki"}}]}
    t = make("pods", "metrics.k8s.io", "v1beta1", objects=[pm])
    assert headers(t) == ["Name", "cpu", "memory", "Window"]
    assert cells(t) == ["web", "2m", "4Mi", "15s"]
    nm = {"kind": "NodeMetrics", "metadata": meta("sandbox-worker"), "window": "20s",
          "usage": {"cpu": "250m", "memory": "1Gi"}}
    assert cells(make("nodes", "metrics.k8s.io", "v1beta1", objects=[nm])) == ["sandbox-worker", "250m", "1Gi", "20s"]


def test_unknown_kinds_fall_back_to_name_and_age():
    other = resources.ResourceType("networking.k8s.io", "v1", "Ingress", "ingresses", True)
    t = tables.table(other, [{"metadata": meta("j", 7200)}], wide=True, now=NOW)
    assert headers(t) == ["Name", "Age"] and cells(t) == ["j", "120m"]


# --- the table envelope -------------------------------------------------------------------------------------

def test_rows_carry_partial_object_metadata_by_default():
    t = make("namespaces", objects=[{"metadata": meta("containo"), "status": {"phase": "Active"}}])
    assert t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/v1"
    assert t["rows"][0]["object"] == {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                      "metadata": meta("containo")}
    assert t["metadata"] == {"resourceVersion": "42"}


@pytest.mark.parametrize("include,expected", [("None", None), ("Object", "full"), ("", "PartialObjectMetadata")])
def test_include_object(include, expected):
    ns = {"kind": "Namespace", "apiVersion": "v1", "metadata": meta("containo"), "status": {"phase": "Active"}}
    obj = make("namespaces", objects=[ns], include_object=include)["rows"][0]["object"]
    if expected == "full":
        assert obj == ns
    elif expected is None:
        assert obj is None
    else:
        assert obj["kind"] == expected


def test_unknown_include_object_is_a_bad_request():
    with pytest.raises(errors.StatusError) as e:
        make("namespaces", include_object="Everything")
    assert (e.value.code, e.value.reason) == (400, "BadRequest")
    assert e.value.message == ('includeObject: Invalid value: "Everything": '
                               "must be 'Metadata', 'Object', 'None', or empty")


def test_list_metadata_and_no_headers():
    t = make("pods", objects=[pod(), pod("b")], list_metadata={"resourceVersion": "99", "continue": "abc",
                                                              "selfLink": "x"}, no_headers=True)
    assert t["metadata"] == {"resourceVersion": "99", "continue": "abc"}
    assert t["columnDefinitions"] == [] and len(t["rows"]) == 2


def test_column_descriptions_come_from_the_api_docs():
    t = make("pods", objects=[])
    assert t["columnDefinitions"][0]["description"].startswith("Name must be unique within a namespace.")
    assert all(set(c) == {"name", "type", "format", "description", "priority"} for c in t["columnDefinitions"])


@pytest.mark.parametrize("accept,expected", [
    ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
     "application/json", True),
    ("application/json", False), ("", False), ("application/json;as=Table;v=v2;g=meta.k8s.io", False),
])
def test_wants_table(accept, expected):
    assert tables.wants_table(accept) is expected


ODD_OBJECTS = [
    {},
    {"metadata": [], "spec": "x", "status": 7},
    {"metadata": {"name": 5, "creationTimestamp": "not a time", "labels": {"node-role.kubernetes.io/x": None}},
     "spec": {"containers": [None, 3, {"name": None}], "initContainers": [{"name": ["x"]}], "replicas": "2",
              "selector": {"matchLabels": [1]},
              "ports": [{"port": "80", "nodePort": None}], "metrics": [None, {"type": "Pods"}], "type": None},
     "status": {"containerStatuses": [1, None, {"state": [], "restartCount": "x", "lastState": {"terminated": 1}}],
                "initContainerStatuses": [{"state": {"terminated": None}}], "conditions": [None, {"type": 1}],
                "currentMetrics": "x", "loadBalancer": {"ingress": [None, {"ip": 3}]}},
     "subsets": [{"addresses": [None, {"ip": "1.2.3.4"}], "ports": [None]}], "endpoints": [None, {"addresses": 3}],
     "involvedObject": [], "series": {"count": "3"}, "usage": {"cpu": "bogus"}, "containers": "x"},
]


@pytest.mark.parametrize("resource", sorted({(r.group, r.version, r.plural) for r in resources.served()}))
def test_printers_never_raise_on_odd_objects(resource):
    t = tables.table(rt(*resource), ODD_OBJECTS, wide=True, now=NOW)
    assert len(t["rows"]) == len(ODD_OBJECTS)
    assert all(len(r["cells"]) == len(t["columnDefinitions"]) for r in t["rows"])


def _mutations(obj, junk):
    """Copies of `obj` with one value replaced by one junk value, for every path and every junk value."""
    import copy
    paths = []

    def collect(node, path):
        paths.append(path)
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            collect(child, path + [key])
    collect(obj, [])
    for path in paths[1:]:
        for value in junk:
            mutated = copy.deepcopy(obj)
            parent = mutated
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = value
            yield mutated


SAMPLES = {
    "pods": pod(statuses=[running("orders-api", restarts=1, last_finished=30), waiting("orders-validator", "X")],
                spec_extra={"initContainers": [{"name": "i", "restartPolicy": "Always"}],
                            "readinessGates": [{"conditionType": "a"}]},
                status_extra={"initContainerStatuses": [{"name": "i", "started": True, "ready": True}],
                              "conditions": [{"type": "Ready", "status": "True"}], "podIPs": [{"ip": "1.1.1.1"}]}),
    "deployments": deployment(),
    "services": service("LoadBalancer", ingress=[{"ip": "1.2.3.4"}]),
    "nodes": node("n", "control-plane"),
    "horizontalpodautoscalers": hpa([resource_metric("cpu", 50), {"type": "External", "external": {
        "target": {"averageValue": "3"}}}], [{"type": "Resource", "resource": {"current": {"averageUtilization": 3}}}]),
    "events": {"metadata": meta("e"), "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "x"},
               "source": {"component": "kubelet", "host": "n"}, "firstTimestamp": ts(9), "lastTimestamp": ts(3),
               "eventTime": ts(9), "series": {"count": 2, "lastObservedTime": ts(1)}, "count": 2, "message": "m"},
    "endpoints": {"metadata": meta("ep"), "subsets": [{"addresses": [{"ip": "1.1.1.1"}], "ports": [{"port": 80}]}]},
    "scaledobjects": {"metadata": meta("so"), "spec": {"scaleTargetRef": {"name": "w"}, "minReplicaCount": 1},
                      "status": {"triggersTypes": "redis", "conditions": [{"type": "Ready", "status": "True"}]}},
    "pods.metrics": {"kind": "PodMetrics", "metadata": meta("p"), "window": "15s",
                     "containers": [{"name": "a", "usage": {"cpu": "1m", "memory": "1Ki"}}]},
}
SAMPLES_GV = {"deployments": ("apps", "v1"), "horizontalpodautoscalers": ("autoscaling", "v2"),
              "scaledobjects": ("keda.sh", "v1alpha1"), "pods.metrics": ("metrics.k8s.io", "v1beta1")}


@pytest.mark.parametrize("plural", sorted(SAMPLES))
def test_printers_survive_every_single_field_mutation(plural):
    junk = [None, 0, -1, True, "", "x", [], {}, [None], {"a": None}, 1.5]
    group, version = SAMPLES_GV.get(plural, ("", "v1"))
    for mutated in _mutations(SAMPLES[plural], junk):
        for wide in (True, False):
            t = tables.table(rt(group, version, plural.split(".")[0]), [mutated], wide=wide, now=NOW)
            assert len(t["rows"][0]["cells"]) == len(t["columnDefinitions"])
