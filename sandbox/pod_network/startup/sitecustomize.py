"""Started by Python itself in every process of a pod: the kubelet puts this directory first on PYTHONPATH (see
PodNetwork.pod_environment), and site.py imports `sitecustomize` at start-up. It installs the pod network layer
(sandbox/pod_network/layer.py) from the environment, then runs the sitecustomize this one shadows, if any (some
distributions ship one). Processes started with -S, -I or -E skip this file, and so the layer."""
import os
import sys


def _install() -> None:
    if not os.environ.get("SANDBOX_NET_TABLE"):
        return
    try:
        from sandbox.pod_network import layer
    except ImportError:  # a Python without the workshop installed: find it next to this file, then forget the path
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
        sys.path.append(root)
        try:
            from sandbox.pod_network import layer
        finally:
            sys.path.remove(root)
    layer.install_from_environment()


def _chain() -> None:
    import importlib.machinery
    import importlib.util
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.machinery.PathFinder.find_spec(
        "sitecustomize", [p for p in sys.path if os.path.abspath(p or os.curdir) != here])
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


_install()
_chain()
