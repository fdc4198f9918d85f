"""metrics.k8s.io for a pod whose containers run as processes: every container is sampled on every ask, so a pod
of two containers has metrics after two asks a window apart, as with metrics-server, not three."""
from __future__ import annotations

from types import SimpleNamespace

from sandbox.kubelet.node import ProcessRuntime
from sandbox.runtime.usage import Usage


class TwoScrapes:
    """A sampler that, like UsageSampler, has a rate for a container from its second sample on."""

    def __init__(self):
        self.samples: dict = {}

    def usage(self, key, pid: int) -> Usage | None:
        self.samples[key] = self.samples.get(key, 0) + 1
        return Usage(40.0 * pid, 32 * 2**20) if self.samples[key] >= 2 else None


def running(name: str, pid: int):
    record = SimpleNamespace(name=name, role="app", simulated=False)
    return record, SimpleNamespace(process=SimpleNamespace(pid=pid, returncode=None))


def test_a_pod_of_two_containers_has_metrics_after_two_asks():
    (api, api_runner), (validator, validator_runner) = running("orders-api", 1), running("orders-validator", 2)
    worker = SimpleNamespace(uid="u-1", records=[api, validator],
                             runners={"orders-api": api_runner, "orders-validator": validator_runner})
    runtime = SimpleNamespace(workers={"u-1": worker}, usage=TwoScrapes())
    pod = {"metadata": {"uid": "u-1"}}
    assert ProcessRuntime.measured_usage(runtime, pod) is None  # one sample of each: no rate yet
    assert runtime.usage.samples == {("u-1", "orders-api"): 1, ("u-1", "orders-validator"): 1}
    assert ProcessRuntime.measured_usage(runtime, pod) == [("orders-api", 40.0, 32.0),
                                                            ("orders-validator", 80.0, 32.0)]
