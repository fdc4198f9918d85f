"""Autoscaling as kube-controller-manager and KEDA compute it: pure functions, no I/O (the controllers that use
them are sandbox/controllers/horizontal_pod_autoscaler.py and scaled_object.py)."""
