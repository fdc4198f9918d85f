"""Tables of RBAC objects, APIServices and custom resources (printer columns read by JSONPath)."""
from sandbox.printers import extensions, rbac


def test_json_paths_of_printer_columns():
    obj = {"spec": {"triggers": [{"type": "redis"}, {"type": "cpu"}]},
           "status": {"conditions": [{"type": "Active", "status": "False"}, {"type": "Ready", "status": "True"}]}}
    assert extensions.json_path_values(obj, ".spec.triggers[*].type") == ["redis", "cpu"]
    assert extensions.json_path_values(obj, '.status.conditions[?(@.type=="Ready")].status') == ["True"]
    assert extensions.json_path_values(obj, ".spec.triggers[1].type") == ["cpu"]
    assert extensions.json_path_values(obj, ".spec.missing") == []


def test_custom_resource_cells_follow_column_types():
    printer = extensions.custom_resource_printer((
        ("Replicas", "integer", "", "", 0, ".spec.replicas"), ("Spec", "string", "", "", 0, ".spec"),
        ("Ready", "boolean", "", "", 1, ".status.ready"), ("Age", "date", "", "", 0, ".metadata.creationTimestamp")))
    obj = {"metadata": {"name": "x", "creationTimestamp": "2026-01-01T00:00:00Z"},
           "spec": {"replicas": "two"}, "status": {"ready": True}}
    now = 1767225600 + 90  # 90 s after creation
    cells = printer.cells(obj, now, False, printer.columns)
    assert cells == ["x", None, '{"replicas":"two"}', True, "90s"]
    assert [c.name for c in printer.columns] == ["Name", "Replicas", "Spec", "Ready", "Age"]
    assert printer.columns[3].priority == 1
    default = extensions.custom_resource_printer(())
    assert [c.name for c in default.columns] == ["Name", "Age"]


def test_api_service_and_binding_rows():
    remote = {"metadata": {"name": "v1beta1.metrics.k8s.io"}, "spec": {"service": {"namespace": "kube-system",
                                                                                   "name": "metrics-server"}},
              "status": {"conditions": [{"type": "Available", "status": "False", "reason": "MissingEndpoints"}]}}
    row = extensions.api_service_printer().row(remote, 0, False)
    assert row[:3] == ["v1beta1.metrics.k8s.io", "kube-system/metrics-server", "False (MissingEndpoints)"]
    assert extensions.api_service_printer().row({"metadata": {"name": "v1."}}, 0, False)[1:3] == ["Local",
                                                                                                  "Unknown"]
    binding = {"metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "view"},
               "subjects": [{"kind": "User", "name": "a"}, {"kind": "User", "name": "b"},
                            {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}]}
    assert rbac.binding_printer().row(binding, 0, True)[1:] == ["ClusterRole/view", "<unknown>", "a, b", "",
                                                                 "ns/sa"]
