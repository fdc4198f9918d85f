"""Forwarding one TCP connection to a pod's port, shared by both wire protocols: ask the node for the
connection, copy both ways, and say why when it fails, in the kubelet's words.

    error = await forward(kubelet, pod, port, client)   # None, or the message for the error stream

`client` is the wire side of one forwarded connection (a data channel, or a SPDY data stream). The forward ends
when the pod's side ends (its EOF) or the client's side goes away; the client half-closing only half-closes the
pod's side, so a request sent before a FIN still gets its answer."""
from __future__ import annotations

import asyncio
import hashlib
from typing import Protocol

from sandbox.registry.kubelet_connection import KubeletConnection, NodeError

READ_SIZE = 32 * 1024


class ClientSide(Protocol):
    async def read(self) -> bytes:
        """Data from the client; b"" when it sent its last byte; ConnectionResetError when it reset the
        connection or left."""

    async def write(self, data: bytes) -> None:
        """Raises ConnectionError once the client is gone."""


def sandbox_id(pod: dict) -> str:
    """The pod's sandbox as the container runtime names it (64 hex digits), which the kubelet's port-forward
    messages print in place of the pod's name: derived from the pod's uid, so stable for the pod's life."""
    return hashlib.sha256(pod["metadata"].get("uid", "").encode()).hexdigest()


def failure_message(pod: dict, port: int, reason: str) -> str:
    """The kubelet's wording (its CRI streaming server passes the sandbox id and no uid)."""
    return f"error forwarding port {port} to pod {sandbox_id(pod)}, uid : {reason}"


async def forward(kubelet: KubeletConnection, pod: dict, port: int, client: ClientSide) -> str | None:
    try:
        reader, writer = await kubelet.port_forward(pod, port)
    except NodeError as e:
        return failure_message(pod, port, e.message)
    downstream = asyncio.create_task(_pod_to_client(reader, client))
    upstream = asyncio.create_task(_client_to_pod(client, writer))
    try:
        await asyncio.wait({downstream, upstream}, return_when=asyncio.FIRST_COMPLETED)
        if upstream.done() and not upstream.result():  # the client reset the stream or left
            downstream.cancel()
        await asyncio.gather(downstream, return_exceptions=True)
        return None
    finally:
        for task in (upstream, downstream):
            task.cancel()
        await asyncio.gather(upstream, downstream, return_exceptions=True)
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def _pod_to_client(reader: asyncio.StreamReader, client: ClientSide) -> None:
    try:
        while True:
            try:
                data = await reader.read(READ_SIZE)
            except ConnectionError:
                return  # a reset from the pod's process ends this connection, not the port-forward
            if not data:
                return
            await client.write(data)
    except ConnectionError:
        return  # the client went away


async def _client_to_pod(client: ClientSide, writer: asyncio.StreamWriter) -> bool:
    """Copy until the client's last byte, then half-close the pod's side: True. False when the client reset
    the connection or left (nothing more will be delivered to it either)."""
    try:
        while True:
            data = await client.read()
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return True
            writer.write(data)
            await writer.drain()
    except ConnectionResetError:
        return False
    except (ConnectionError, OSError):
        return True  # the pod's side stopped taking data; what it sends still reaches the client
