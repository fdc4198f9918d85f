"""The pods' listening sockets as the sandbox records them: (pod IP, port) -> the real port on 127.0.0.1 (or ::1)
that a process bound through the network layer, or that the kubelet reserved for a program the layer cannot
enter (a Redis server). Conflicts follow the kernel (sandbox/pod_network/addresses.py: two binds of a port
conflict when their reach points intersect).

A process can die without closing its sockets (kill -9, a crash), so a layer binding that blocks a new bind is
checked first: when nothing holds its real port any more it is stale and gives way, as does any binding of a
pod that no longer owns the IP. Reservations are the
kubelet's and only its release() ends them. A binding also names the pod (uid) and container (owner) it
belongs to, so a pod's deletion or a container's exit forgets exactly its bindings."""
from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Binding:
    ip: str
    port: int
    reach: str          # reach points, see addresses.py
    real_port: int
    real_family: int    # 4: bound on 127.0.0.1 (or ::ffff:127.0.0.1), 6: on ::1
    uid: str            # the pod's
    owner: str = ""     # the container's name
    reserved: bool = False  # by the kubelet for a program that is not Python: only release() ends it

    def encode(self) -> list:
        return [self.ip, self.port, self.reach, self.real_port, self.real_family, self.uid]


class BindError(OSError):
    def __init__(self, code: int, detail: str):
        super().__init__(code, detail)


class Bindings:
    """`in_use(binding) -> bool` says whether a binding's real port is still held by some socket."""

    def __init__(self, in_use: Callable[[Binding], bool]):
        self._in_use = in_use
        self._by_port: dict[tuple[str, int], list[Binding]] = {}

    def __iter__(self):
        for found in self._by_port.values():
            yield from found

    def __len__(self) -> int:
        return sum(len(found) for found in self._by_port.values())

    def conflicting(self, binding: Binding) -> Binding | None:
        """A live binding that `binding` cannot coexist with; stale ones found on the way are dropped."""
        for other in list(self._by_port.get((binding.ip, binding.port), ())):
            if not set(other.reach) & set(binding.reach):
                continue
            # Another pod's binding on this IP is an old owner's (the caller checked who owns the IP now).
            if other.uid == binding.uid and (other.reserved or self._in_use(other)):
                return other
            self._remove(other)
        return None

    def claim(self, binding: Binding) -> None:
        """Record `binding`, or raise BindError(EADDRINUSE) as the kernel refuses a taken port."""
        other = self.conflicting(binding)
        if other is not None:
            raise BindError(errno.EADDRINUSE, f"{binding.ip}:{binding.port} is taken (real port {other.real_port})")
        self._by_port.setdefault((binding.ip, binding.port), []).append(binding)

    def find(self, ip: str, port: int, point: str) -> Binding | None:
        for binding in self._by_port.get((ip, port), ()):
            if point in binding.reach:
                return binding
        return None

    def drop(self, ip: str, port: int, real_port: int, uid: str) -> bool:
        """Forget one layer binding once its socket is closed (and no other process holds its real port)."""
        for binding in self._by_port.get((ip, port), ()):
            if binding.real_port == real_port and binding.uid == uid and not binding.reserved:
                if self._in_use(binding):
                    return False  # a forked child still listens on it
                self._remove(binding)
                return True
        return False

    def release(self, ip: str, owner: str | None = None) -> int:
        """Forget the bindings of the pod with `ip`, or only those of its container `owner`; how many."""
        doomed = [b for b in self if b.ip == ip and (owner is None or b.owner == owner)]
        for binding in doomed:
            self._remove(binding)
        return len(doomed)

    def forget_pod(self, uid: str) -> int:
        doomed = [b for b in self if b.uid == uid]
        for binding in doomed:
            self._remove(binding)
        return len(doomed)

    def _remove(self, binding: Binding) -> None:
        key = (binding.ip, binding.port)
        remaining = [b for b in self._by_port.get(key, ()) if b is not binding]
        if remaining:
            self._by_port[key] = remaining
        else:
            self._by_port.pop(key, None)
