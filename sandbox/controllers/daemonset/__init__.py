"""The DaemonSet controller (kube-controller-manager's pkg/controller/daemon), split along its seams:

    controller.py  informers, reconcile(): history, manage (a pod per eligible node), the rolling update, status
    placement.py   which nodes should run a daemon pod, the pod the controller makes for a node, the rolling
                   update's choices with and without surge (pure)
"""
from sandbox.controllers.daemonset.controller import DaemonSetController

__all__ = ["DaemonSetController"]
