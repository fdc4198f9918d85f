"""What a simulated container "prints": no process runs it, so its log is made up, and its first line says so.
The rest is what the image typically prints when it starts (the containo components' JSON lines, Redis' and
nginx' banners), timestamped from the container's start, as CRI records on the stream the real program uses;
`kubectl logs` then reads them through sandbox/runtime/log_format.py like any container's log, so --tail,
--since, --timestamps, --limit-bytes and the rest apply. Pure: reads the pod only."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sandbox.machinery.timestamps import epoch_ns as parse_rfc3339
from sandbox.runtime.log_format import STDERR, STDOUT, LogRecord
from sandbox.simulation import images

HEADER = ("[workshop sandbox] Simulated log: no container runs in the sandbox, so these lines show what "
          "{image} typically prints. On a kind or cloud cluster `kubectl logs` shows the real output.")
_MS = 1_000_000


def simulated_entries(pod: dict, container: str, state: dict) -> list[LogRecord]:
    """The records of one container instance whose state (running or terminated) gives its startedAt: the
    header at the start, then the image's lines a few milliseconds apart."""
    definition = _container(pod.get("spec") or {}, container)
    started_text = (state.get("running") or state.get("terminated") or {}).get("startedAt")
    started_ns = parse_rfc3339(started_text) if started_text else 0
    started = datetime.fromtimestamp(started_ns // 1_000_000_000, timezone.utc)
    header = HEADER.format(image=definition.get("image") or "this image")
    entries = [(0, STDOUT, header)] + _lines(definition, started, pod)
    return [LogRecord(started_ns + ms * _MS, stream, (text + "\n").encode()) for ms, stream, text in entries]


def _container(spec: dict, name: str) -> dict:
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        if c.get("name") == name:
            return c
    return {"name": name}


def _component(container: dict) -> str | None:
    """Which containo component a container runs (`python -m app.api` and friends)."""
    words = " ".join(str(w) for w in (container.get("command") or []) + (container.get("args") or []))
    for component in ("api", "validator", "worker"):
        if f"app.{component}" in words:
            return component
    return None


def _lines(container: dict, started: datetime, pod: dict) -> list[tuple[int, str, str]]:
    """(milliseconds after the start, stream, text) of each line."""
    image = images.parse(container.get("image") or "")
    component = _component(container)
    if component or "containo" in image.repository:
        return _containo(component or "api", started, container, pod["metadata"].get("name", ""))
    if image.repository.endswith("/redis"):
        return _redis(started, image.tag)
    if image.repository.endswith("/nginx"):
        return _nginx(started, image.tag)
    return [(1, STDOUT, f"{_iso(started)} container {container.get('name')} started ({image.reference})")]


def _iso(moment: datetime, ms: int = 0) -> str:
    return (moment + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _env(container: dict) -> dict:
    return {e.get("name"): e.get("value", "") for e in container.get("env") or [] if isinstance(e, dict)}


def _containo(component: str, started: datetime, container: dict, pod_name: str) -> list[tuple[int, str, str]]:
    env = _env(container)
    port = int(env.get("VALIDATOR_PORT") or 81) if component == "validator" else int(env.get("ORDERS_PORT") or 80)
    redact = lambda url: url.split("@")[-1] if url else ""
    first = {
        "api": ("api.starting", {"validatorUrl": env.get("VALIDATOR_URL", "http://localhost:81"),
                                 "queueRedis": redact(env.get("QUEUE_REDIS_URL", "")),
                                 "cacheRedis": redact(env.get("CACHE_REDIS_URL", "")),
                                 "queueName": env.get("QUEUE_NAME", "orders")}),
        "validator": ("validator.starting", {"orderLimit": int(env.get("ORDER_LIMIT") or 100)}),
        "worker": ("worker.starting", {"queueRedis": redact(env.get("QUEUE_REDIS_URL", "")),
                                       "cacheRedis": redact(env.get("CACHE_REDIS_URL", ""))}),
    }[component]
    entries = [(0, first)]
    if component == "worker":
        entries.append((40, ("worker.started", {"workerId": env.get("WORKER_ID", pod_name),
                                                "queue": env.get("QUEUE_NAME", "orders"),
                                                "delaySeconds": float(env.get("WORKER_DELAY_SECONDS") or 1.0)})))
    else:
        entries.append((35, ("http.listening", {"host": "0.0.0.0", "port": port})))
    return [(ms, STDOUT, json.dumps({"time": _iso(started, ms), "level": "info", "component": component,
                                     "event": event, "fields": fields})) for ms, (event, fields) in entries]


def _redis(started: datetime, tag: str) -> list[tuple[int, str, str]]:
    version = tag.split("-")[0] if tag[:1].isdigit() else "7.4.2"
    if version.count(".") < 2:
        version += ".2" if version.count(".") == 1 else ".4.2"
    stamp = lambda ms: (started + timedelta(milliseconds=ms)).strftime("%d %b %Y %H:%M:%S.") + f"{ms % 1000:03d}"
    lines = [
        (1, f"1:C {stamp(1)} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
        (1, f"1:C {stamp(1)} * Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, just started"),
        (1, f"1:C {stamp(1)} # Warning: no config file specified, using the default config. In order to specify a "
            f"config file use redis-server /path/to/redis.conf"),
        (2, f"1:M {stamp(2)} * monotonic clock: POSIX clock_gettime"),
        (3, f"1:M {stamp(3)} * Running mode=standalone, port=6379."),
        (3, f"1:M {stamp(3)} * Server initialized"),
        (4, f"1:M {stamp(4)} * Ready to accept connections tcp"),
    ]
    return [(ms, STDOUT, text) for ms, text in lines]  # redis logs to stdout


def _nginx(started: datetime, tag: str) -> list[tuple[int, str, str]]:
    version = tag.split("-")[0] if tag[:1].isdigit() else "1.27.3"
    when = started.strftime("%Y/%m/%d %H:%M:%S")
    entry = "/docker-entrypoint.sh:"
    setup = [
        f"{entry} /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
        f"{entry} Looking for shell scripts in /docker-entrypoint.d/",
        f"{entry} Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
        "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
        "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
        f"{entry} Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
        f"{entry} Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
        f"{entry} Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
        f"{entry} Configuration complete; ready for start up",
    ]
    notices = [  # nginx's error log, which the image sends to stderr
        f'{when} [notice] 1#1: using the "epoll" event method',
        f"{when} [notice] 1#1: nginx/{version}",
        f"{when} [notice] 1#1: start worker processes",
        f"{when} [notice] 1#1: start worker process 29",
    ]
    return [(1 + i, STDOUT, text) for i, text in enumerate(setup)] + \
        [(20 + i, STDERR, text) for i, text in enumerate(notices)]
