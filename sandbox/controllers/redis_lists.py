"""The length of a Redis list behind a Service, as KEDA's redis scaler reads it (LLEN), for the ScaledObject
controller and the HPA's external metric.

When the Service's Redis runs as a process, the length is real: an LLEN sent over the pod network, as KEDA's
scaler sends it from its own pod (the trigger's address resolved from the keda namespace, so `svc.namespace:port`).
When it is simulated (the simulated runtime, or an image the sandbox cannot run), the workload model's queue
answers. Reading is asynchronous and cached: the scale loop refreshes a list before it decides, every
pollingInterval, and the HPA reads the length the last poll found (KEDA's metrics adapter also serves what its
scalers last read). A Redis that wants a password gets `AUTH` first, with the password the trigger's
authenticationRef resolves to (controllers/trigger_authentication.py); one that refuses it fails the read with its
own words (`NOAUTH ...`, `WRONGPASS ...`), as KEDA's scaler reports them."""
from __future__ import annotations

import asyncio

from sandbox.autoscaling.replica_calculator import CalculationError

KEDA_NAMESPACE = "keda"
TIMEOUT_SECONDS = 2.0


def _command(*words: str) -> bytes:
    out = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


async def authenticate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, password: str,
                       username: str = "") -> None:
    """AUTH [username] password (RESP): nothing on +OK, CalculationError with Redis' refusal otherwise."""
    writer.write(_command("AUTH", *([username] if username else []), password))
    await writer.drain()
    line = await reader.readline()
    if line.startswith(b"-"):
        raise CalculationError(line[1:].strip().decode(errors="replace"))
    if not line.startswith(b"+"):
        raise CalculationError("unexpected reply from redis")


async def llen(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, list_name: str) -> int:
    """LLEN over an open connection (RESP): the integer reply, or CalculationError with Redis' error."""
    writer.write(_command("LLEN", list_name))
    await writer.drain()
    line = await reader.readline()
    if line.startswith(b":"):
        return int(line[1:].strip())
    if line.startswith(b"-"):
        raise CalculationError(line[1:].strip().decode(errors="replace"))
    raise CalculationError("unexpected reply from redis")


class RedisLists:
    """Cached list lengths by (namespace, list), refreshed through the pod network when it can reach them."""

    def __init__(self, runtime):
        self.runtime = runtime  # sandbox.kubelet.node.ProcessRuntime
        self.network = runtime.network
        self._lengths: dict[tuple[str, str], int | CalculationError] = {}

    def serves(self, pods: list[dict]) -> bool:
        """True when one of the Service's ready pods runs its Redis as a process: the list is real."""
        return self.network is not None and any(self.runtime.runs_processes(pod) for pod in pods)

    async def refresh(self, trigger, auth: dict[str, str] | None = None) -> None:
        """Read the trigger's list again; `auth`: the parameters its authenticationRef resolved to (password,
        username)."""
        key = (trigger.namespace, trigger.list_name)
        try:
            self._lengths[key] = await self._read(trigger, auth or {})
        except CalculationError as e:
            self._lengths[key] = e

    async def _read(self, trigger, auth: dict[str, str]) -> int:
        addresses = self.network.resolve(trigger.host, KEDA_NAMESPACE)
        if not addresses:
            raise CalculationError(f"dial tcp: lookup {trigger.host} on 10.96.0.10:53: no such host")
        address = addresses[0]
        try:
            reader, writer = await self.network.open_connection(address, trigger.port, timeout=TIMEOUT_SECONDS)
        except OSError as e:
            raise CalculationError(f"dial tcp {address}:{trigger.port}: connect: "
                                   f"{(e.strerror or str(e)).lower()}") from None
        try:
            return await asyncio.wait_for(self._session(reader, writer, trigger, auth), TIMEOUT_SECONDS)
        except (OSError, asyncio.TimeoutError) as e:
            raise CalculationError(f"read tcp {address}:{trigger.port}: {e or 'i/o timeout'}") from None
        finally:
            writer.close()

    @staticmethod
    async def _session(reader, writer, trigger, auth: dict[str, str]) -> int:
        if auth.get("password"):
            await authenticate(reader, writer, auth["password"], auth.get("username", ""))
        return await llen(reader, writer, trigger.list_name)

    def length(self, trigger) -> int | None:
        """The last length read (None: never read); raises the last read's error."""
        value = self._lengths.get((trigger.namespace, trigger.list_name))
        if isinstance(value, CalculationError):
            raise value
        return value
