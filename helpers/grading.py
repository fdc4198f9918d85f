"""Grading what a learner applied: each way the live object differs from the chapter's manifest, as one sentence
that says what to change (pure: dicts in, sentences out; helpers.checks reads the cluster and calls these).

Chapters 03 to 05 ask learners to write Kubernetes themselves: the sidecar block of a Deployment, a ClusterIP
Service, a LoadBalancer Service. Their checkpoints grade the objects as they are LIVE in the cluster, against the
chapter's manifest, and judge what matters rather than the spelling:

    a Service's selector     right when it selects the same pods as the manifest's (a fourth label is fine),
                             wrong when it matches no pod (the sentence lists the labels those pods carry) or
                             also matches pods of another part of the application
    a Service's targetPort   right when it reaches the port the pods declare (6379, or its name `redis`), wrong
                             when nothing listens there (the sentence names the port the pods declare)
    a container              its image, command (+args; arguments a later chapter appends are fine), declared
                             ports and their names, environment, resource requests and limits, and what its
                             probes ask (their timings are the learner's choice)

For example, the Service `kubectl create service clusterip containo-orders-cache-service --tcp=6666` writes is
graded (labels, selector, then ports) as:

    service/containo-orders-cache-service: label app is 'containo-orders-cache-service', expected 'containo'
    service/containo-orders-cache-service: labels microservice=orders, service=cache and type=infrastructure are missing
    service/containo-orders-cache-service selects app=containo-orders-cache-service, which matches no pod: the pods
        it should select carry app=containo, microservice=orders, service=cache, type=infrastructure
    service/containo-orders-cache-service: port 6666 is named '6666', expected 'redis'
    service/containo-orders-cache-service: port 6666 forwards to targetPort 6666, but the pods it should select
        listen on 6379 (container redis declares it as 'redis'): set targetPort: 6379
"""
from __future__ import annotations

import shlex
from collections.abc import Iterable

from sandbox.machinery.quantity import QuantityError, parse_quantity

from . import selectors

VOLATILE_LABELS = ("pod-template-hash", "controller-revision-hash", "pod-template-generation")

PROBE_HINTS = {
    "readinessProbe": "the pod counts as ready, and gets traffic, before {name} answers",
    "livenessProbe": "if {name} hangs, it is never restarted",
    "startupProbe": "the other probes start before {name} has started",
}
RESOURCE_HINTS = {
    "requests": "the scheduler reserves nothing for it, and chapter 06's HPA needs a cpu request on every container",
    "limits": "nothing caps the CPU and memory it may use",
}


def ref(obj: dict) -> str:
    return f"{obj['kind'].lower()}/{obj['metadata']['name']}"


def listing(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- labels -------------------------------------------------------------------------------------------------------

def label_problems(want: dict, live: dict) -> list[str]:
    """Labels the manifest gives that the live object lacks or spells otherwise (extra labels are fine)."""
    have = live["metadata"].get("labels") or {}
    wanted = sorted((want["metadata"].get("labels") or {}).items())
    out = [f"{ref(want)}: label {k} is {have[k]!r}, expected {v!r}" for k, v in wanted if k in have and have[k] != v]
    missing = [f"{k}={v}" for k, v in wanted if k not in have]
    if len(missing) == 1:
        out.append(f"{ref(want)}: label {missing[0]} is missing")
    elif missing:
        out.append(f"{ref(want)}: labels {listing(missing)} are missing")
    return out


# --- services -----------------------------------------------------------------------------------------------------

def _alive(pods: Iterable[dict]) -> list[dict]:
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def _pod_labels(pod: dict) -> str:
    labels = pod["metadata"].get("labels") or {}
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in VOLATILE_LABELS)


def declared_ports(pods: Iterable[dict]) -> list[tuple[str, dict]]:
    """(container name, port) for every port the pods' containers declare, without repeats."""
    seen, out = set(), []
    for pod in pods:
        for container in (pod.get("spec") or {}).get("containers") or []:
            for port in container.get("ports") or []:
                key = (container["name"], port.get("containerPort"), port.get("name"))
                if key not in seen:
                    seen.add(key)
                    out.append((container["name"], port))
    return out


def resolve_target(target, pods: list[dict]) -> int | None:
    """The container port a Service's targetPort reaches on these pods: a number as it is, a name looked up in the
    pods' declared ports (None when no container declares it)."""
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        return int(target)
    return next((p.get("containerPort") for _, p in declared_ports(pods) if p.get("name") == target), None)


def _port_key(port: dict) -> tuple[int, str]:
    return port.get("port"), port.get("protocol", "TCP")


def _target_problem(who: str, port: dict, want_port: dict, pods: list[dict]) -> str:
    number = want_port.get("port")
    want_target, target = want_port.get("targetPort", number), port.get("targetPort", port.get("port"))
    wanted = resolve_target(want_target, pods)
    if not pods or wanted is None:  # no pod to look at (yet): compare what is written
        return "" if str(target) == str(want_target) else (
            f"{who}: port {number} forwards to targetPort {target}, expected {want_target}")
    reached = resolve_target(target, pods)
    if reached == wanted:
        return ""
    if reached is None:
        names = ", ".join(f"{p.get('name')}={p.get('containerPort')}" for _, p in declared_ports(pods)
                          if p.get("name")) or "none"
        return (f"{who}: port {number} forwards to targetPort {target!r}, a port name no container of the pods it "
                f"should select declares (named ports: {names}): set targetPort: {wanted}")
    declared = [(c, p) for c, p in declared_ports(pods) if p.get("containerPort") == wanted]
    where = ""
    if declared:
        container, declared_port = declared[0]
        where = f" (container {container} declares it" + (
            f" as {declared_port['name']!r})" if declared_port.get("name") else ")")
    return (f"{who}: port {number} forwards to targetPort {target}, but the pods it should select listen on "
            f"{wanted}{where}: set targetPort: {wanted}")


def port_problems(want: dict, live: dict, pods: list[dict]) -> list[str]:
    """The Service's ports against the manifest's: each port clients use, where it forwards, its name.
    `pods`: the pods the manifest's selector chooses (their declared ports resolve targetPorts)."""
    who = ref(want)
    wanted = (want.get("spec") or {}).get("ports") or []
    have = {_port_key(p): p for p in (live.get("spec") or {}).get("ports") or []}
    out = []
    for want_port in wanted:
        number, protocol = _port_key(want_port)
        port = have.pop((number, protocol), None)
        if port is None:
            others = ", ".join(f"{p}/{proto}" for p, proto in have) or "none"
            out.append(f"{who} has no port {number}/{protocol} (its ports: {others}): clients connect to port "
                       f"{number}, which it forwards to {want_port.get('targetPort', number)}")
            continue
        if want_port.get("name") and port.get("name") != want_port["name"]:
            named = f"is named {port['name']!r}" if port.get("name") else "has no name"
            out.append(f"{who}: port {number} {named}, expected {want_port['name']!r}")
        problem = _target_problem(who, port, want_port, pods)
        if problem:
            out.append(problem)
    return out


def _differing_labels(pods: list[dict], selector: dict) -> str:
    """How pods selected by mistake differ from the wanted selector: `service=api`, say."""
    found = sorted({f"{k}={(p['metadata'].get('labels') or {}).get(k, '<none>')}" for p in pods
                    for k, v in selector.items() if (p["metadata"].get("labels") or {}).get(k) != v})
    return ", ".join(found)


def selector_problems(want: dict, live: dict, pods: list[dict]) -> list[str]:
    """Does the live selector choose the pods the manifest's selector chooses? `pods`: every pod of the namespace."""
    who = ref(want)
    want_selector = (want.get("spec") or {}).get("selector") or {}
    selector = (live.get("spec") or {}).get("selector") or {}
    if selector == want_selector:
        return []
    want_query, query = selectors.to_query(want_selector), selectors.to_query(selector)
    if not selector:
        return [f"{who} has no selector, so Kubernetes lists no endpoints for it: select {want_query}"]
    volatile = [k for k in selector if k in VOLATILE_LABELS]
    if volatile:  # it may choose the right pods today, and none after the next rollout
        return [f"{who} selects on {volatile[0]}, which changes with every pod template (the next rollout's pods "
                f"have another): select {want_query}"]
    pods = _alive(pods)
    chosen = {p["metadata"]["name"] for p in pods if selectors.matches(selector, p["metadata"].get("labels"))}
    wanted = [p for p in pods if selectors.matches(want_selector, p["metadata"].get("labels"))]
    if not wanted:  # nothing to compare with: the pods are not there (yet)
        return [f"{who} selects {query}, expected {want_query}"]
    if not chosen:
        return [f"{who} selects {query}, which matches no pod: the pods it should select carry "
                f"{_pod_labels(wanted[0])} (kubectl get pods --show-labels)"]
    names = {p["metadata"]["name"] for p in wanted}
    extra = [p for p in pods if p["metadata"]["name"] in chosen - names]
    if extra:
        n = len(extra)
        return [f"{who} selects {query}, which also matches {n} pod{'s' if n > 1 else ''} it should not "
                f"({_differing_labels(extra, want_selector)}): select {want_query}"]
    if names - chosen:
        left = len(names - chosen)
        return [f"{who} selects {query}, which leaves out {left} of the {len(names)} pods it should select "
                f"({want_query})"]
    return []  # other words, the same pods


# --- containers ---------------------------------------------------------------------------------------------------

def _quantity(value) -> object:
    try:
        return parse_quantity(value)
    except (QuantityError, TypeError, ValueError):
        return value


def _words(container: dict) -> list[str]:
    return [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]


def _probe_port(port, container: dict):
    """A probe's port as a number, resolved through the container's named ports (the name itself if undeclared)."""
    if isinstance(port, str) and not port.isdigit():
        found = next((p.get("containerPort") for p in container.get("ports") or [] if p.get("name") == port), None)
        return found if found is not None else f"{port!r} (a name the container does not declare)"
    return int(port) if port is not None else None


def probe_description(probe: dict, container: dict) -> str:
    """What a probe asks, without its timings: `httpGet /healthz on port 81`."""
    if probe.get("httpGet") is not None:
        get = probe["httpGet"]
        return f"httpGet {get.get('path', '/')} on port {_probe_port(get.get('port'), container)}"
    if probe.get("tcpSocket") is not None:
        return f"tcpSocket on port {_probe_port(probe['tcpSocket'].get('port'), container)}"
    if probe.get("grpc") is not None:
        return f"grpc on port {probe['grpc'].get('port')}"
    if probe.get("exec") is not None:
        return f"exec {shlex.join(str(w) for w in probe['exec'].get('command') or [])}"
    return "nothing"


def _resources(name: str, want: dict, live: dict) -> list[str]:
    out = []
    for section in ("requests", "limits"):
        wanted = (want.get("resources") or {}).get(section) or {}
        have = (live.get("resources") or {}).get(section) or {}
        if wanted and not have:
            shown = ", ".join(f"{k}: {v}" for k, v in sorted(wanted.items()))
            out.append(f"container {name} has no resources.{section} (expected {shown}): {RESOURCE_HINTS[section]}")
            continue
        for key, value in sorted(wanted.items()):
            if key not in have:
                out.append(f"container {name} has no resources.{section}.{key} (expected {value})")
            elif _quantity(have[key]) != _quantity(value):
                out.append(f"container {name} has resources.{section}.{key} {have[key]}, expected {value}")
    return out


def _env(name: str, want: dict, live: dict) -> list[str]:
    if live.get("envFrom"):  # values may come from a ConfigMap or a Secret (a later chapter): not judged here
        return []
    have = {e.get("name"): e for e in live.get("env") or []}
    missing, out = [], []
    for var in want.get("env") or []:
        mine = have.get(var.get("name"))
        if mine is None:
            missing.append(var["name"] + (f"={var['value']}" if "value" in var else ""))
        elif "value" in var and "valueFrom" not in mine and mine.get("value") != var["value"]:
            out.append(f"container {name} sets {var['name']}={mine.get('value', '')}, expected {var['value']}")
    if missing:
        out.insert(0, f"container {name} does not set {listing(missing)} (under env)")
    return out


def _ports(name: str, want: dict, live: dict) -> list[str]:
    have = {(p.get("containerPort"), p.get("protocol", "TCP")): p for p in live.get("ports") or []}
    out = []
    for port in want.get("ports") or []:
        mine = have.get((port.get("containerPort"), port.get("protocol", "TCP")))
        label = f" (named {port['name']})" if port.get("name") else ""
        if mine is None:
            out.append(f"container {name} does not declare port {port.get('containerPort')}{label} under ports")
        elif port.get("name") and mine.get("name") != port["name"]:
            named = f"as {mine['name']!r}" if mine.get("name") else "without a name"
            out.append(f"container {name} declares port {port['containerPort']} {named}, expected {port['name']!r}")
    return out


def _probes(name: str, want: dict, live: dict) -> list[str]:
    out = []
    for kind, hint in PROBE_HINTS.items():
        if not want.get(kind):
            continue
        expected = probe_description(want[kind], want)
        if not live.get(kind):
            out.append(f"container {name} has no {kind} (expected {expected}): {hint.format(name=name)}")
        elif probe_description(live[kind], live) != expected:
            out.append(f"container {name}: its {kind} asks {probe_description(live[kind], live)}, "
                       f"expected {expected}")
    return out


def container_problems(want: dict, live: dict) -> list[str]:
    """One container against the manifest's (its timings and anything the manifest leaves out are not judged)."""
    name, out = want["name"], []
    if want.get("image") and live.get("image") != want["image"]:
        out.append(f"container {name} runs image {live.get('image')}, expected {want['image']}")
    wanted, words = _words(want), _words(live)
    if wanted and words[:len(wanted)] != wanted:  # arguments appended after the expected ones are fine
        out.append(f"container {name} has no command: it runs its image's default, expected {shlex.join(wanted)}"
                   if not words else f"container {name} runs {shlex.join(words)}, expected {shlex.join(wanted)}")
    policy = want.get("imagePullPolicy")
    if policy and live.get("imagePullPolicy", policy) != policy:
        out.append(f"container {name} has imagePullPolicy {live['imagePullPolicy']}, expected {policy}")
    return out + _ports(name, want, live) + _env(name, want, live) + _resources(name, want, live) + \
        _probes(name, want, live)


def template_containers(obj: dict) -> list[dict]:
    """The containers of a workload's pod template (a Deployment's, a StatefulSet's...)."""
    return ((((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []


def template_problems(want: dict, live: dict, *, full: bool = True) -> list[str]:
    """A workload's pod template against the manifest's, container by container (by name); without `full`, only
    that each container is there and declares its ports."""
    who, out = ref(want), []
    have = {c["name"]: c for c in template_containers(live)}
    wanted = template_containers(want)
    unexpected = [n for n in have if n not in {c["name"] for c in wanted}]
    for container in wanted:
        mine = have.get(container["name"])
        if mine is None:
            line = (f"{who}: the pod template has no container {container['name']!r} "
                    f"(containers: {', '.join(have) or 'none'})")
            if unexpected:
                line += f": is {unexpected[0]!r} meant to be it? Name it {container['name']}"
            out.append(line)
            continue
        problems = container_problems(container, mine) if full else _ports(container["name"], container, mine)
        out += [f"{who}: {problem}" for problem in problems]
    return out
