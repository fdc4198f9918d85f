"""Configuration from environment variables, read once at start-up and checked before anything runs.

Every variable is documented in app/README.md. A bad value raises ConfigError with a sentence naming the variable,
so a container with a typo in its manifest exits with one clear log line instead of a traceback.
"""
from __future__ import annotations

import json
import math
import os
import re
import socket
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlsplit

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")  # safe inside Redis keys and SCAN patterns
REDIS_SCHEMES = ("redis", "rediss", "unix")
LOG_LEVELS = ("debug", "info", "warning", "error")
LOAD_MODES = ("orders", "get")
DEFAULT_ORDER = '{"amount": 42, "customerName": "load-generator", "productId": "keyboard"}'
MAX_LOAD_RATE = 10000  # far beyond what one Python process sends; a typo (an extra zero or two) stops here


class ConfigError(ValueError):
    """An environment variable has a value the application cannot use."""


@dataclass(frozen=True)
class ApiConfig:
    bind_address: str
    port: int
    validator_url: str
    validator_timeout: float
    queue_redis_url: str
    cache_redis_url: str
    queue_name: str
    redis_timeout: float
    log_level: str
    redis_password: str | None = field(default=None, repr=False)  # for the Redis URLs that carry none


@dataclass(frozen=True)
class ValidatorConfig:
    bind_address: str
    port: int
    order_limit: float
    log_level: str


@dataclass(frozen=True)
class WorkerConfig:
    queue_redis_url: str
    cache_redis_url: str
    queue_name: str
    worker_id: str
    delay: float
    poll: float
    heartbeat: float
    drain: float  # on SIGTERM, an order this close to done is finished; a longer one is handed back
    confirmation_ttl: int
    redis_timeout: float
    log_level: str
    redis_password: str | None = field(default=None, repr=False)  # for the Redis URLs that carry none


@dataclass(frozen=True)
class LoadConfig:
    target_url: str  # scheme://host:port, no path: the API's Service, e.g. http://containo-orders-frontend:1337
    mode: str  # "orders": POST /api/orders; "get": GET of `path`
    path: str
    order: bytes  # the JSON body "orders" posts, encoded once
    rate: float  # requests per second, kept on an open-loop schedule
    duration: float  # seconds; 0: no time limit
    requests: int  # how many requests in all; 0: no limit (the first of the two limits reached ends the run)
    concurrency: int  # most requests in flight at once
    timeout: float  # seconds per request, connecting included
    report_every: float  # seconds between two load.progress lines
    log_level: str


class _Env:
    """Typed reads of one environment mapping; each raises ConfigError naming the variable."""

    def __init__(self, environ: Mapping[str, str]):
        self.environ = environ

    def text(self, name: str, default: str) -> str:
        value = self.environ.get(name, "").strip()
        return value or default

    def number(self, name: str, default: float, *, minimum: float = 0.0, positive: bool = False) -> float:
        raw = self.text(name, str(default))
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if not math.isfinite(value) or value < minimum or (positive and value <= 0):
            bound = "greater than 0" if positive else f"at least {minimum:g}"
            raise ConfigError(f"{name} must be a finite number {bound}, got {raw!r}")
        return value

    def whole_number(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        raw = self.text(name, str(default))
        if not raw.isdigit() or not minimum <= int(raw) <= maximum:
            raise ConfigError(f"{name} must be a whole number between {minimum} and {maximum}, got {raw!r}")
        return int(raw)

    def port(self, name: str, default: int) -> int:
        raw = self.text(name, str(default))
        if not raw.isdigit() or not 1 <= int(raw) <= 65535:
            raise ConfigError(f"{name} must be a TCP port between 1 and 65535, got {raw!r}")
        return int(raw)

    def name(self, name: str, default: str) -> str:
        value = self.text(name, default)
        if not NAME_PATTERN.match(value):
            raise ConfigError(f"{name} must be letters, digits, '.', '_' or '-' (starting with a letter or digit), "
                              f"got {value!r}")
        return value

    def redis_url(self, name: str, default: str) -> str:
        value = self.text(name, default)
        if urlsplit(value).scheme not in REDIS_SCHEMES:
            raise ConfigError(f"{name} must be a redis://, rediss:// or unix:// URL, got {redact(value)!r}")
        return value

    def secret(self, name: str) -> str | None:
        """The value exactly as set (a password may hold spaces), None when unset or empty."""
        return self.environ.get(name) or None

    def http_url(self, name: str, default: str) -> str:
        value = self.text(name, default).rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{name} must be an http:// or https:// URL, got {value!r}")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default).lower()
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def log_level(self) -> str:
        value = self.text("LOG_LEVEL", "info").lower()
        if value not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
        return value


def redact(url: str) -> str:
    """The URL without its password, fit for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def password_field(cfg: ApiConfig | WorkerConfig) -> dict[str, str]:
    """For the start-up log line: that REDIS_PASSWORD is set, never its value (nothing when it is not set)."""
    return {"redisPassword": "set"} if cfg.redis_password else {}


def api(environ: Mapping[str, str] = os.environ) -> ApiConfig:
    env = _Env(environ)
    return ApiConfig(
        bind_address=env.text("BIND_ADDRESS", "0.0.0.0"),
        port=env.port("ORDERS_PORT", 80),
        validator_url=env.http_url("VALIDATOR_URL", "http://localhost:81"),
        validator_timeout=env.number("VALIDATOR_TIMEOUT_SECONDS", 2.0, positive=True),
        queue_redis_url=env.redis_url("QUEUE_REDIS_URL", "redis://localhost:6379/0"),
        cache_redis_url=env.redis_url("CACHE_REDIS_URL", "redis://localhost:6379/0"),
        queue_name=env.name("QUEUE_NAME", "orders"),
        redis_timeout=env.number("REDIS_TIMEOUT_SECONDS", 2.0, positive=True),
        log_level=env.log_level(),
        redis_password=env.secret("REDIS_PASSWORD"),
    )


def validator(environ: Mapping[str, str] = os.environ) -> ValidatorConfig:
    env = _Env(environ)
    return ValidatorConfig(
        bind_address=env.text("BIND_ADDRESS", "0.0.0.0"),
        port=env.port("VALIDATOR_PORT", 81),
        order_limit=env.number("ORDER_LIMIT", 100, positive=True),
        log_level=env.log_level(),
    )


def worker(environ: Mapping[str, str] = os.environ) -> WorkerConfig:
    env = _Env(environ)
    ttl = env.number("CONFIRMATION_TTL_SECONDS", 86400)
    if not ttl.is_integer():
        raise ConfigError(f"CONFIRMATION_TTL_SECONDS must be a whole number of seconds, got {ttl:g}")
    return WorkerConfig(
        queue_redis_url=env.redis_url("QUEUE_REDIS_URL", "redis://localhost:6379/0"),
        cache_redis_url=env.redis_url("CACHE_REDIS_URL", "redis://localhost:6379/0"),
        queue_name=env.name("QUEUE_NAME", "orders"),
        # In a pod the hostname is the pod name: stable across container restarts, unique among replicas.
        worker_id=env.name("WORKER_ID", socket.gethostname()),
        delay=env.number("WORKER_DELAY_SECONDS", 1.0),
        poll=env.number("WORKER_POLL_SECONDS", 1.0, positive=True),
        heartbeat=env.number("WORKER_HEARTBEAT_SECONDS", 5.0, positive=True),
        drain=env.number("WORKER_DRAIN_SECONDS", 10.0),
        confirmation_ttl=int(ttl),
        redis_timeout=env.number("REDIS_TIMEOUT_SECONDS", 2.0, positive=True),
        log_level=env.log_level(),
        redis_password=env.secret("REDIS_PASSWORD"),
    )


def load(environ: Mapping[str, str] = os.environ) -> LoadConfig:
    env = _Env(environ)
    target = env.http_url("LOAD_TARGET_URL", "http://containo-orders-frontend:1337")
    if urlsplit(target).path or urlsplit(target).query:
        raise ConfigError(f"LOAD_TARGET_URL must be scheme://host:port without a path (LOAD_MODE and LOAD_PATH "
                          f"choose the path), got {target!r}")
    mode = env.choice("LOAD_MODE", "orders", LOAD_MODES)
    path = env.text("LOAD_PATH", "/")
    if not path.startswith("/") or any(ch.isspace() for ch in path):
        raise ConfigError(f"LOAD_PATH must start with '/' and contain no spaces, got {path!r}")
    order = env.text("LOAD_ORDER", DEFAULT_ORDER)
    try:
        parsed = json.loads(order)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ConfigError(f"LOAD_ORDER must be a JSON object such as {DEFAULT_ORDER}, got {order!r}")
    rate = env.number("LOAD_RATE", 10.0, positive=True)
    if rate > MAX_LOAD_RATE:
        raise ConfigError(f"LOAD_RATE must be at most {MAX_LOAD_RATE} requests per second, got {rate:g}")
    return LoadConfig(
        target_url=target,
        mode=mode,
        path=path,
        order=json.dumps(parsed, separators=(",", ":")).encode(),
        rate=rate,
        duration=env.number("LOAD_DURATION_SECONDS", 0.0),
        requests=env.whole_number("LOAD_REQUESTS", 0, minimum=0, maximum=10**9),
        concurrency=env.whole_number("LOAD_CONCURRENCY", 50, minimum=1, maximum=10000),
        timeout=env.number("LOAD_TIMEOUT_SECONDS", 5.0, positive=True),
        report_every=env.number("LOAD_REPORT_SECONDS", 5.0, positive=True),
        log_level=env.log_level(),
    )
