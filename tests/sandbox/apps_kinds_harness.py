"""What the apps kinds' integration tests share: kubectl with a manifest, JSON reads, and waits on conditions."""
from __future__ import annotations

import json

from tests.waiting import wait_until


def apply(sandbox, namespace: str, manifest: str) -> None:
    result = sandbox.kubectl("-n", namespace, "apply", "-f", "-", input=manifest)
    assert result.returncode == 0, result.stderr


def kubectl_ok(sandbox, *args: str, input: str | None = None) -> str:
    result = sandbox.kubectl(*args, input=input, timeout=120)
    assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
    return result.stdout


def get(sandbox, namespace: str | None, *what: str) -> dict:
    args = (["-n", namespace] if namespace else []) + ["get", *what, "-o", "json"]
    return json.loads(kubectl_ok(sandbox, *args))


def items(sandbox, namespace: str | None, *what: str) -> list[dict]:
    return get(sandbox, namespace, *what)["items"]


def wait_for(sandbox, namespace, what: tuple, condition, description: str, timeout: float = 90):
    """Poll `kubectl get <what> -o json` until condition(object) holds; return the object."""
    def probe():
        result = sandbox.kubectl(*(["-n", namespace] if namespace else []), "get", *what, "-o", "json")
        if result.returncode != 0:
            return None
        obj = json.loads(result.stdout)
        return obj if condition(obj) else None
    return wait_until(probe, timeout=timeout, interval=0.2, what=description,
                      debug=lambda: sandbox.kubectl(*(["-n", namespace] if namespace else []), "get", *what,
                                                    "-o", "yaml").stdout[-3000:])


def names(objs: list[dict]) -> list[str]:
    return sorted(o["metadata"]["name"] for o in objs)


def events(sandbox, namespace: str, kind: str = "") -> list[dict]:
    found = items(sandbox, namespace, "events")
    return [e for e in found if not kind or e["involvedObject"]["kind"] == kind]


def header(table: str) -> list[str]:
    return table.splitlines()[0].split()
