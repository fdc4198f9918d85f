"""Services: EndpointSlices and Endpoints follow ready pods; LoadBalancers get an address like cloud-provider-kind."""
from tests.unit.controllers.harness import deployment, run


def service(name="web", type_="ClusterIP", **spec):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"tier": "front"}},
            "spec": {"type": type_, "selector": {"app": "web"},
                     "ports": [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}], **spec}}


def web(replicas=2):
    d = deployment(replicas=replicas)
    d["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"name": "http", "containerPort": 80}]
    return d


def _slices(c, name="web"):
    return [s for s in c.list("endpointslices.discovery.k8s.io")
            if s["metadata"]["labels"].get("kubernetes.io/service-name") == name]


def _ready_endpoints(c):
    return [e for s in _slices(c) for e in s.get("endpoints") or [] if e["conditions"]["ready"]]


def test_endpoint_slices_and_endpoints_follow_ready_pods():
    async def scenario(c):
        c.create("services", service())
        [placeholder] = await c.wait_for(lambda: _slices(c), what="placeholder slice")
        assert placeholder["endpoints"] == [] and placeholder["addressType"] == "IPv4"
        c.create("deployments.apps", web(2))
        await c.wait_for(lambda: len(_ready_endpoints(c)) == 2, what="two ready endpoints")
        [slice_] = _slices(c)
        labels = slice_["metadata"]["labels"]
        assert labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
        assert labels["tier"] == "front" and slice_["metadata"]["name"].startswith("web-")
        assert slice_["metadata"]["ownerReferences"][0]["kind"] == "Service"
        assert slice_["ports"] == [{"name": "http", "port": 80, "protocol": "TCP"}]
        pods = {p["metadata"]["name"]: p for p in c.list("pods")}
        for endpoint in slice_["endpoints"]:
            pod = pods[endpoint["targetRef"]["name"]]
            assert endpoint["addresses"] == [pod["status"]["podIP"]]
            assert endpoint["nodeName"] == pod["spec"]["nodeName"]
            assert endpoint["conditions"] == {"ready": True, "serving": True, "terminating": False}
        endpoints = await c.wait_for(lambda: (e := c.get("endpoints", "web")) and e.get("subsets") and e,
                                     what="Endpoints subsets")
        [subset] = endpoints["subsets"]
        assert sorted(a["ip"] for a in subset["addresses"]) == sorted(p["status"]["podIP"] for p in pods.values())
        assert subset["ports"] == [{"name": "http", "port": 80, "protocol": "TCP"}]
        victim = next(iter(pods))
        c.delete("pods", victim)
        terminating = await c.wait_for(lambda: [e for s in _slices(c) for e in s["endpoints"]
                                                if e["conditions"]["terminating"]], what="terminating endpoint")
        assert terminating[0]["conditions"]["ready"] is False
        await c.wait_for(lambda: victim not in str(c.get("endpoints", "web")), what="victim left Endpoints")
        c.delete("services", "web")
        await c.wait_for(lambda: not _slices(c) and c.get("endpoints", "web") is None, what="cleaned up")
    run(scenario)


def test_a_load_balancer_gets_an_address_on_the_kind_network_and_gives_it_back():
    async def scenario(c):
        c.create("services", service(type_="LoadBalancer"))
        svc = await c.wait_for(lambda: (s := c.get("services", "web")) and
                               (s.get("status") or {}).get("loadBalancer", {}).get("ingress") and s,
                               what="load balancer address")
        assert svc["status"]["loadBalancer"]["ingress"] == [
            {"ip": "172.18.0.6", "ipMode": "Proxy", "ports": [{"port": 8080, "protocol": "TCP"}]}]
        assert "service.kubernetes.io/load-balancer-cleanup" in svc["metadata"]["finalizers"]
        reasons = [e["reason"] for e in c.events(name="web")]
        assert reasons[:2] == ["EnsuringLoadBalancer", "EnsuredLoadBalancer"]
        c.delete("services", "web")
        await c.wait_for(lambda: c.get("services", "web") is None, what="service gone after cleanup")
        c.create("services", service("again", type_="LoadBalancer"))
        again = await c.wait_for(lambda: (s := c.get("services", "again")) and
                                 (s.get("status") or {}).get("loadBalancer", {}).get("ingress") and s, what="reuse")
        assert again["status"]["loadBalancer"]["ingress"][0]["ip"] == "172.18.0.6"
    run(scenario)


def test_the_kubernetes_service_points_at_the_control_plane():
    async def scenario(c):
        endpoints = c.get("endpoints", "kubernetes")
        assert endpoints["subsets"][0]["addresses"] == [{"ip": "172.18.0.2"}]
        assert endpoints["subsets"][0]["ports"][0]["port"] == 6443
        [slice_] = _slices(c, "kubernetes")
        assert slice_["endpoints"][0]["addresses"] == ["172.18.0.2"]
    run(scenario)
