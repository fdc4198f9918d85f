"""Routing tables for the pod network's unit tests, built through the same document() the sandbox writes."""
from __future__ import annotations

from sandbox.pod_network import table

WEB_IP, DB_POD, WEB_POD, OTHER_POD = "10.96.0.20", "10.244.1.7", "10.244.1.5", "10.244.2.9"
LB_IP, NODES = "172.18.0.5", ["172.18.0.2", "172.18.0.3"]
CIDRS = {"pods": "10.244.0.0/16", "services": "10.96.0.0/12", "nodes": "172.18.0.0/16"}


def sample(**changes) -> table.Table:
    """default/web (ClusterIP 10.96.0.20, port http 80, LoadBalancer 172.18.0.5:1337, nodePort 30080) with two
    ready pods; default/db headless with a pod whose hostname is db-0; default/ext an ExternalName; shop/cache
    a ClusterIP Service without endpoints; the API server on the first node."""
    parts = dict(
        generation=1, domain="cluster.local", cidrs=CIDRS, nodes=NODES,
        namespaces=["default", "shop", "kube-system"],
        pods={WEB_POD: ["uid-web", "default/web-1"], "10.244.1.6": ["uid-web2", "default/web-2"],
              DB_POD: ["uid-db", "default/db-0"], OTHER_POD: ["uid-client", "shop/client"]},
        bindings=[[WEB_POD, 80, "lp", 40001, 4, "uid-web"], [WEB_POD, 81, "l", 40002, 4, "uid-web"],
                  [WEB_POD, 82, "6", 40003, 6, "uid-web"], ["10.244.1.6", 80, "lp", 40004, 4, "uid-old"]],
        routes=[[WEB_IP, 80, 41000, True, "default/web", "cluster"], [LB_IP, 1337, 41000, True, "default/web", "lb"],
                [NODES[0], 30080, 41000, True, "default/web", "node"],
                [NODES[1], 30080, 41000, True, "default/web", "node"],
                ["10.96.0.30", 6666, 41001, False, "shop/cache", "cluster"],
                [NODES[0], 6443, 6000, True, "", "api"]],
        services={"default/web": {"ips": [WEB_IP], "external": "", "ports": [["http", "TCP"]],
                                  "endpoints": [[WEB_POD, ""], ["10.244.1.6", ""]]},
                  "default/db": {"ips": [], "external": "", "ports": [["redis", "TCP"]],
                                 "endpoints": [[DB_POD, "db-0"]]},
                  "default/empty": {"ips": [], "external": "", "ports": [], "endpoints": []},
                  "default/ext": {"ips": [], "external": "web.default.svc.cluster.local", "ports": [],
                                  "endpoints": []},
                  "default/outside": {"ips": [], "external": "example.org.", "ports": [], "endpoints": []},
                  "shop/cache": {"ips": ["10.96.0.30"], "external": "", "ports": [["", "TCP"]], "endpoints": []}})
    parts.update(changes)
    return table.Table(table.document(**parts))
