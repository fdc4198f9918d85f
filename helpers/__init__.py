"""The workshop's helpers: everything a notebook imports.

    from helpers import *

    connect()                              # the sandbox (default), connect("kind"), connect(context="...")
    ensure_chapter(4)                      # catch up: the state chapter 4 starts from
    apply("manifests/04-cache")            # like kubectl apply: created / configured / unchanged
    wait_for_rollout("containo-orders-cache")
    show()                                 # pods, deployments, replica sets, services, endpoints
    topology()                             # the namespace as a diagram
    check_cache()                          # the chapter's checkpoint: PASS or what is missing
    wait_for_metrics()                     # every pod measured: kubectl top and the HPA can read it
    kubectl("get pods -o wide")            # the real kubectl, on the workshop's cluster

Use help(name) on any of them.
"""
from .apply import apply
from .chapters import ensure_chapter, reset
from .checks import (check_cache, check_chapter, check_deployment, check_exposed, check_namespace, check_sidecar,
                     check_scaling, progress)
from .cluster import connect, current, disconnect
from .errors import WorkshopError
from .kubectl import kubectl
from .orders import clear_queue, enqueue_orders, queue_length, wait_for_order, wait_for_queue
from .reach import http_request, reach_service
from .scaling import explain_hpa, generate_load, stop_load, wait_for_autoscaler
from .scaling_watch import watch_scaling
from .show import show
from .topology import topology
from .trouble import check_recovered, wait_for_problem, wait_for_unready
from .wait import wait_for_deleted, wait_for_endpoints, wait_for_load_balancer, wait_for_pods, wait_for_rollout
# Chapters 00 and 06: the setup checkpoint, and the waits before `kubectl top` and `kubectl describe hpa`.
from .metrics import wait_for_hpa_status, wait_for_metrics
from .setup_check import check_setup

# chapter 07: configuration and secrets
from .checks import check_config

__all__ = [
    "connect", "current", "disconnect", "apply", "ensure_chapter", "reset", "show", "topology", "kubectl",
    "wait_for_rollout", "wait_for_pods", "wait_for_deleted", "wait_for_endpoints", "wait_for_load_balancer",
    "check_chapter", "check_namespace", "check_deployment", "check_sidecar", "check_cache", "check_exposed",
    "check_scaling", "progress", "WorkshopError",
    "reach_service", "http_request", "wait_for_order",
    "generate_load", "stop_load", "enqueue_orders", "queue_length", "clear_queue", "wait_for_queue",
    "wait_for_autoscaler",
    "watch_scaling", "explain_hpa",
    "wait_for_problem", "wait_for_unready", "check_recovered",
    "check_config",
    "check_setup", "wait_for_metrics", "wait_for_hpa_status",
]
