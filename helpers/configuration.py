"""ConfigMaps and Secrets (chapter 07): what a container reads from them, judged for the checkpoint, and which
Deployments must be restarted when one changes.

A container reads a ConfigMap or a Secret when it starts (`envFrom`, `env[].valueFrom`): changing the object
changes nothing in the running pods. `kubectl rollout restart deployment/x` replaces them; ensure_chapter()
replaces the pods of the Deployments whose ConfigMap or Secret it had to put back, and takes back the marks
`kubectl rollout restart` left on their templates.

The judging is pure (dicts in, sentences out), in the style of helpers/checks.py, whose RULES it extends.
"""
from __future__ import annotations

from collections.abc import Callable

from .grading import ref as _ref, template_containers

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"  # what `kubectl rollout restart` sets on the pod template

# (wanted object, live object, snapshot, full): the signature of helpers.checks.RULES
Rule = Callable[[dict, dict, object, bool], list[str]]


def _containers(obj: dict) -> dict[str, dict]:
    return {c["name"]: c for c in template_containers(obj)}


def _source(entry: dict) -> tuple[str, str] | None:
    """An envFrom entry as (kind, name): ("configmap", "containo-orders-config")."""
    for key, kind in (("configMapRef", "configmap"), ("secretRef", "secret")):
        if entry.get(key) is not None:
            return kind, entry[key].get("name") or ""
    return None


def _key_ref(variable: dict) -> tuple[str, str, str] | None:
    """An env entry read from a ConfigMap or a Secret as (kind, name, key)."""
    source = variable.get("valueFrom") or {}
    for key, kind in (("configMapKeyRef", "configmap"), ("secretKeyRef", "secret")):
        if source.get(key) is not None:
            return kind, source[key].get("name") or "", source[key].get("key") or ""
    return None


# --- what a container reads -------------------------------------------------------------------------------------

def container_problems(owner: str, name: str, want: dict, live: dict, snap) -> list[str]:
    """What container `name` of `owner` misses of the configuration the manifest gives it: its envFrom sources and
    its variables read from ConfigMaps and Secrets; and the variables it sets itself that hide a key of its
    ConfigMap (`env` wins over `envFrom`). Its command and arguments (`--requirepass $(REDIS_PASSWORD)`) are
    helpers.grading's."""
    where = f"{owner}: container {name}"
    out = []
    have_sources = [_source(e) for e in live.get("envFrom") or []]
    for entry in want.get("envFrom") or []:
        kind, source = _source(entry) or ("", "")
        if (kind, source) not in have_sources:
            out.append(f"{where} does not read {kind}/{source} (envFrom)")
    have_env = {v.get("name"): v for v in live.get("env") or []}
    for variable in want.get("env") or []:
        wanted = _key_ref(variable)
        if wanted is None:
            continue
        kind, source, key = wanted
        got = _key_ref(have_env.get(variable["name"]) or {})
        if got is None:
            out.append(f"{where}: {variable['name']} is not read from {kind}/{source} key {key!r} "
                       f"(env, valueFrom.{_KEY_REF[kind]})")
        elif got != wanted:
            out.append(f"{where}: {variable['name']} is read from {got[0]}/{got[1]} key {got[2]!r}, expected "
                       f"{kind}/{source} key {key!r}")
    out += _hidden_keys(where, live, snap)
    return out


_KEY_REF = {"configmap": "configMapKeyRef", "secret": "secretKeyRef"}


def _hidden_keys(where: str, live: dict, snap) -> list[str]:
    """Variables set in `env` that a ConfigMap of envFrom also holds: the ConfigMap's value never reaches the
    container."""
    keys: set[str] = set()
    for entry in live.get("envFrom") or []:
        kind, name = _source(entry) or ("", "")
        found = snap.get("v1", "ConfigMap", name) if kind == "configmap" else None
        keys |= set(((found or {}).get("data") or {}))
    hidden = sorted({v.get("name") for v in live.get("env") or [] if "value" in v} & keys)
    return [f"{where} sets {name} itself (env), which wins over the ConfigMap's {name}: remove it from env"
            for name in hidden]


def deployment_problems(want: dict, live: dict, snap, full: bool = False) -> list[str]:
    """Every container's configuration (container_problems), for the containers both have."""
    out, have = [], _containers(live)
    for name, container in _containers(want).items():
        if name in have:
            out += container_problems(_ref(want), name, container, have[name], snap)
    return out


# --- the objects themselves ---------------------------------------------------------------------------------------

def data_problems(want: dict, live: dict, snap, full: bool = False) -> list[str]:
    """A ConfigMap or Secret holds every key of the manifest (the values may differ: a learner may change them)."""
    have = set((live.get("data") or {})) | set((live.get("stringData") or {}))
    missing = [key for key in sorted(want.get("data") or {}) if key not in have]
    return [f"{_ref(want)} has no key {key!r} (its keys: {', '.join(sorted(have)) or 'none'})" for key in missing]


def trigger_authentication_problems(want: dict, live: dict, snap, full: bool = False) -> list[str]:
    """Each parameter of the manifest comes from the same Secret key."""
    have = {e.get("parameter"): e for e in (live.get("spec") or {}).get("secretTargetRef") or []}
    out = []
    for entry in (want.get("spec") or {}).get("secretTargetRef") or []:
        got = have.get(entry["parameter"])
        if got is None:
            out.append(f"{_ref(want)} gives KEDA no {entry['parameter']!r} (secretTargetRef)")
        elif (got.get("name"), got.get("key")) != (entry["name"], entry["key"]):
            out.append(f"{_ref(want)}: {entry['parameter']!r} comes from secret/{got.get('name')} key "
                       f"{got.get('key')!r}, expected secret/{entry['name']} key {entry['key']!r}")
    return out


def scaled_object_problems(want: dict, live: dict, snap, full: bool = False) -> list[str]:
    """Each trigger that authenticates in the manifest names the same TriggerAuthentication."""
    have = (live.get("spec") or {}).get("triggers") or []
    out = []
    for index, trigger in enumerate((want.get("spec") or {}).get("triggers") or []):
        wanted = (trigger.get("authenticationRef") or {}).get("name")
        got = ((have[index] if index < len(have) else {}).get("authenticationRef") or {}).get("name")
        if wanted and got != wanted:
            out.append(f"{_ref(want)}: trigger {index} has "
                       + (f"authenticationRef {got!r}" if got else "no authenticationRef")
                       + f", expected {wanted!r} (without it KEDA reads the queue without the password)")
    return out


def _both(first: Rule, second: Rule) -> Rule:
    def rule(want: dict, live: dict, snap, full: bool = False) -> list[str]:
        return first(want, live, snap, full) + second(want, live, snap, full)
    return rule


def rules(existing: dict[str, Rule]) -> dict[str, Rule]:
    """checks.RULES with the configuration's rules added (the Deployment's and ScaledObject's run after theirs)."""
    return {"ConfigMap": data_problems, "Secret": data_problems,
            "TriggerAuthentication": trigger_authentication_problems,
            "Deployment": _both(deployment_problems, existing["Deployment"]),
            "ScaledObject": _both(scaled_object_problems, existing["ScaledObject"])}


# --- who reads what, for ensure_chapter ---------------------------------------------------------------------------

def references(deployment: dict) -> set[tuple[str, str]]:
    """Every (kind, name) of ConfigMap and Secret the pod template reads: envFrom, env, volumes."""
    spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    found: set[tuple[str, str]] = set()
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        found |= {s for s in (_source(e) for e in container.get("envFrom") or []) if s}
        found |= {(r[0], r[1]) for r in (_key_ref(v) for v in container.get("env") or []) if r}
    for volume in spec.get("volumes") or []:
        if volume.get("configMap"):
            found.add(("configmap", volume["configMap"].get("name") or ""))
        if volume.get("secret"):
            found.add(("secret", volume["secret"].get("secretName") or ""))
    return found


def to_restart(deployments: list[dict], changed: set[tuple[str, str]]) -> list[str]:
    """The Deployments whose pods may still run with an old ConfigMap or Secret: those that read one of `changed`
    (as (kind, name)). (One whose template changed too rolls out anyway; restarting it as well costs a rollout.)"""
    return [d["metadata"]["name"] for d in deployments if references(d) & changed]


def forget_restart_patch(live: dict, want: dict) -> list[dict]:
    """The JSON patch that takes back the mark an earlier `kubectl rollout restart` left on a Deployment's pod
    template (chapter 07 restarts every Deployment), when its manifest has none: the template is then the
    manifest's again, so its pods get the same pod-template-hash as on a fresh cluster, and the next chapter's
    outputs (`describe`'s Annotations, pod names in order) do not depend on what ran before. [] when nothing to do."""
    wanted = ((((want.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("annotations") or {})
    have = ((((live.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("annotations") or {})
    if RESTARTED_AT not in have or RESTARTED_AT in wanted:
        return []
    return [{"op": "remove", "path": "/spec/template/metadata/annotations/" + RESTARTED_AT.replace("/", "~1")}]
