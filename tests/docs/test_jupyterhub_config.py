"""deploy/jupyterhub/config.yaml, offline (it was never deployed here): the YAML parses, every key it sets is one
the pinned zero-to-jupyterhub chart's values schema has, the memory it asks for adds up from the measured peak in
benchmarks/README.md, and the single-user image is the one binder/ builds, whose start script starts the sandbox."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "jupyterhub" / "config.yaml"
GUIDE = ROOT / "docs" / "instructor-guide.md"
CHART_VERSION = "4.4.0"

# The key paths of the jupyterhub chart's values schema (jupyterhub/values.schema.yaml in
# jupyterhub/zero-to-jupyterhub-k8s, 4.x) that this file may set. `hub.config` takes any traitlets config below it
# (additionalProperties: true in the schema), so it is checked down to that level only.
SCHEMA_PATHS = {
    "singleuser", "singleuser.image", "singleuser.image.name", "singleuser.image.tag", "singleuser.image.pullPolicy",
    "singleuser.defaultUrl", "singleuser.cmd", "singleuser.memory", "singleuser.memory.guarantee",
    "singleuser.memory.limit", "singleuser.cpu", "singleuser.cpu.guarantee", "singleuser.cpu.limit",
    "singleuser.extraEnv", "singleuser.storage", "singleuser.storage.type", "singleuser.networkPolicy",
    "singleuser.networkPolicy.enabled", "singleuser.startTimeout",
    "cull", "cull.enabled", "cull.users", "cull.timeout", "cull.every", "cull.concurrency", "cull.maxAge",
    "cull.adminUsers", "cull.removeNamedServers",
    "prePuller", "prePuller.hook", "prePuller.hook.enabled", "prePuller.continuous", "prePuller.continuous.enabled",
    "scheduling", "scheduling.userScheduler", "scheduling.userScheduler.enabled",
    "hub", "hub.config", "proxy", "proxy.service", "proxy.service.type",
}
OPEN_ENDED = ("hub.config",)


def key_paths(value, prefix=""):
    if not isinstance(value, dict) or prefix in OPEN_ENDED:
        return
    for key, child in value.items():
        path = f"{prefix}.{key}" if prefix else key
        yield path
        yield from key_paths(child, path)


def mebibytes(quantity: str) -> float:
    """KubeSpawner's byte specification: K, M, G, T are powers of 1024."""
    number, unit = re.fullmatch(r"([\d.]+)([KMGT]?)", quantity).groups()
    return float(number) * 1024 ** "KMGT".index(unit) / 1024 if unit else float(number) / 1024 ** 2


def test_the_values_parse_and_every_key_is_the_charts():
    values = yaml.safe_load(CONFIG.read_text())
    unknown = sorted(set(key_paths(values)) - SCHEMA_PATHS)
    assert not unknown, f"not keys of the chart's values schema: {unknown}"
    assert not set(values.get("hub", {})) - {"config"}, "no hub services or extra config beyond the login"


def test_the_chart_version_is_pinned_in_the_file_and_the_guide():
    text = CONFIG.read_text()
    assert f"--version {CHART_VERSION}" in text and f"jupyterhub/jupyterhub {CHART_VERSION}" in text
    assert f"--version {CHART_VERSION}" in GUIDE.read_text()


def test_memory_adds_up_from_the_measured_peak():
    benchmarks = (ROOT / "benchmarks" / "README.md").read_text()
    row = next(line for line in benchmarks.splitlines() if line.startswith("| `chapter06_pss`"))
    peak = int(re.search(r"\| (\d+) MiB:", row).group(1))
    target = 1024 if "<= 1 GiB" in row else None
    text = CONFIG.read_text()
    assert "chapter06_pss" in text and f": {peak} MiB, target <= 1 GiB" in text
    server, kernel = (int(n) for n in re.search(r"JupyterLab's server (\d+) MiB and\s+# a kernel with the helpers "
                                                r"connected (\d+) MiB", text).groups())
    memory = yaml.safe_load(text)["singleuser"]["memory"]
    assert mebibytes(memory["guarantee"]) >= peak + server + 3 * kernel
    assert mebibytes(memory["limit"]) >= target + server + 3 * kernel
    assert mebibytes(memory["guarantee"]) <= mebibytes(memory["limit"])


def test_idle_servers_are_culled():
    cull = yaml.safe_load(CONFIG.read_text())["cull"]
    assert cull["enabled"] is True and 0 < cull["timeout"] <= 3600


def test_the_image_is_binders_and_its_start_script_starts_the_sandbox():
    start = (ROOT / "binder" / "start").read_text()
    assert "workshop env" in start and start.rstrip().endswith('exec "$@"')
    assert "workshop jupyter-config" in (ROOT / "binder" / "postBuild").read_text()
    assert "repo2docker --no-run" in CONFIG.read_text()
