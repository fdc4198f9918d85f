import copy

from sandbox.machinery import defaults, resources
from sandbox.registry import kinds


def rt(api_version, kind):
    return resources.by_kind(api_version, kind)


def pod(**container):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"containers": [{"name": "c", "image": "nginx", **container}]}}


def applied(api_version, kind, obj):
    kinds.apply_defaults(rt(api_version, kind), obj)
    again = copy.deepcopy(obj)
    kinds.apply_defaults(rt(api_version, kind), again)
    assert again == obj, "defaulting must be idempotent"
    return obj


def test_pod_spec_defaults():
    spec = applied("v1", "Pod", pod(ports=[{"containerPort": 80}]))["spec"]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["schedulerName"]) == ("Always", "ClusterFirst",
                                                                                 "default-scheduler")
    assert (spec["terminationGracePeriodSeconds"], spec["securityContext"], spec["enableServiceLinks"]) == (30, {},
                                                                                                            True)
    container = spec["containers"][0]
    assert container["imagePullPolicy"] == "Always"
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["terminationMessagePolicy"] == "File"
    assert container["ports"][0]["protocol"] == "TCP"
    assert "serviceAccountName" not in spec and "tolerations" not in spec, "admission's, not defaults"


def test_pod_admission_adds_what_the_plugins_add():
    obj = applied("v1", "Pod", pod())
    defaults.admit_pod(obj, None)
    spec, container = obj["spec"], obj["spec"]["containers"][0]
    assert (spec["serviceAccountName"], spec["serviceAccount"]) == ("default", "default")
    token = [v for v in spec["volumes"] if v["name"].startswith("kube-api-access-")]
    assert len(token) == 1 and container["volumeMounts"][0]["name"] == token[0]["name"]
    assert {t["key"] for t in spec["tolerations"]} == {"node.kubernetes.io/not-ready",
                                                        "node.kubernetes.io/unreachable"}


def test_image_pull_policy_rule():
    for image, policy in [("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.27", "IfNotPresent"),
                          ("localhost:5000/app", "Always"), ("localhost:5000/app:v1", "IfNotPresent"),
                          ("nginx@sha256:abc", "IfNotPresent")]:
        obj = applied("v1", "Pod", pod())
        obj["spec"]["containers"][0] = {"name": "c", "image": image}
        kinds.apply_defaults(rt("v1", "Pod"), obj)
        assert obj["spec"]["containers"][0]["imagePullPolicy"] == policy, image


def test_requests_default_to_limits_for_pods_only():
    limits = {"resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}}
    container = applied("v1", "Pod", pod(**copy.deepcopy(limits)))["spec"]["containers"][0]
    assert container["resources"]["requests"] == {"cpu": "500m", "memory": "128Mi"}
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "x", **copy.deepcopy(limits)}]}}}}
    template_container = applied("apps/v1", "Deployment", deploy)["spec"]["template"]["spec"]["containers"][0]
    assert "requests" not in template_container["resources"]


def test_probe_defaults():
    probe = applied("v1", "Pod", pod(readinessProbe={"httpGet": {"port": 80}}))["spec"]["containers"][0][
        "readinessProbe"]
    assert probe == {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
                     "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}


def test_deployment_and_replicaset_defaults():
    spec = applied("apps/v1", "Deployment", {"spec": {"template": {"spec": {"containers": []}}}})["spec"]
    assert spec["replicas"] == 1 and spec["revisionHistoryLimit"] == 10 and spec["progressDeadlineSeconds"] == 600
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%",
                                                                           "maxSurge": "25%"}}
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    recreate = applied("apps/v1", "Deployment", {"spec": {"strategy": {"type": "Recreate"}}})["spec"]["strategy"]
    assert recreate == {"type": "Recreate"}
    assert applied("apps/v1", "ReplicaSet", {"spec": {}})["spec"]["replicas"] == 1


def test_service_defaults():
    spec = applied("v1", "Service", {"spec": {"type": "LoadBalancer", "ports": [{"port": 1337}]}})["spec"]
    assert spec["ports"] == [{"port": 1337, "protocol": "TCP", "targetPort": 1337}]
    assert (spec["sessionAffinity"], spec["externalTrafficPolicy"], spec["internalTrafficPolicy"]) == (
        "None", "Cluster", "Cluster")
    assert spec["allocateLoadBalancerNodePorts"] is True
    assert (spec["ipFamilies"], spec["ipFamilyPolicy"]) == (["IPv4"], "SingleStack")
    cluster_ip = applied("v1", "Service", {"spec": {"ports": [{"port": 6666, "targetPort": 6379}]}})["spec"]
    assert cluster_ip["type"] == "ClusterIP" and "externalTrafficPolicy" not in cluster_ip
    assert cluster_ip["ports"][0]["targetPort"] == 6379


def test_hpa_defaults():
    spec = applied("autoscaling/v2", "HorizontalPodAutoscaler", {"spec": {"maxReplicas": 3}})["spec"]
    assert spec["minReplicas"] == 1
    assert spec["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 80}}}]
    assert "behavior" not in spec  # only filled in when given
    behavior = applied("autoscaling/v2", "HorizontalPodAutoscaler", {"spec": {"behavior": {
        "scaleDown": {"stabilizationWindowSeconds": 60}}}})["spec"]["behavior"]
    assert behavior["scaleUp"]["policies"] == [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                               {"type": "Percent", "value": 100, "periodSeconds": 15}]
    assert behavior["scaleDown"] == {"selectPolicy": "Max", "stabilizationWindowSeconds": 60,
                                     "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


def test_namespace_and_secret_defaults():
    assert applied("v1", "Namespace", {"metadata": {"name": "x"}})["status"] == {"phase": "Active"}
    assert applied("v1", "Secret", {})["type"] == "Opaque"


def test_scaled_object_defaults_are_keda_s_not_the_api_server_s():
    obj = applied("keda.sh/v1alpha1", "ScaledObject", {"spec": {"scaleTargetRef": {"name": "w"}}})
    assert "pollingInterval" not in obj["spec"]
    assert defaults.scaled_object_setting(obj, "pollingInterval") == 30
    assert defaults.scaled_object_setting({"spec": {"maxReplicaCount": 7}}, "maxReplicaCount") == 7


def test_bad_shapes_do_not_raise():
    for body in (None, [], {"spec": "x"}, {"spec": {"containers": "x", "volumes": [1]}}):
        kinds.apply_defaults(rt("v1", "Pod"), body)


def test_secret_string_data_is_merged_into_data():
    secret = applied("v1", "Secret", {"stringData": {"password": "hunter2"}, "data": {"user": "YWRtaW4="}})
    assert secret["data"] == {"user": "YWRtaW4=", "password": "aHVudGVyMg=="}
    assert "stringData" not in secret

