"""The WebSocket channel protocols (k8s.io/apimachinery wsstream): every message carries one channel's data,
prefixed by the channel number. Pure: what a subprotocol means, how a message is framed and unframed, and the
Status objects the error channel carries.

    subprotocol                  framing                                   error channel       half-close
    v5.channel.k8s.io            binary, 1 byte channel + data             JSON Status         255, channel
    v4.channel.k8s.io            binary                                    JSON Status         -
    v4.base64.channel.k8s.io     text, channel digit + base64(data)        JSON Status         -
    channel.k8s.io (or none)     binary                                    text, failures only -
    base64.channel.k8s.io        text, channel digit + base64(data)        text, failures only -

kubectl 1.37 asks for v5 only (exec, attach); the Python client asks for v5 then v4 and takes v4 for
port-forward, where the kubelet speaks neither v5 nor a Status (its error channel carries text).
Exec channels: 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize ({"Width": w, "Height": h} JSON)."""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

STDIN, STDOUT, STDERR, ERROR, RESIZE = range(5)
CLOSE_SIGNAL = 255  # v5: [255, channel] says the client will send nothing more on that channel
MAX_MESSAGE = 32 * 1024 * 1024  # bytes; far above what clients send at once (kubectl 32 KiB, the Python client 1 MiB)

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
V4_BASE64 = "v4.base64.channel.k8s.io"
V1 = "channel.k8s.io"
V1_BASE64 = "base64.channel.k8s.io"


@dataclass(frozen=True)
class ChannelProtocol:
    name: str  # "" when the client asked for no subprotocol (served as channel.k8s.io)
    base64: bool
    json_status: bool  # v4+: the error channel carries a JSON Status, success included
    close_signal: bool  # v5: [255, channel] half-closes a channel

    def frame(self, channel: int, data: bytes) -> bytes | str:
        """One message: bytes for a binary protocol (send as a binary message), str for a base64 one."""
        if self.base64:
            return chr(ord("0") + channel) + base64.b64encode(data).decode("ascii")
        return bytes((channel,)) + data

    def unframe(self, message: bytes | str) -> tuple[int, bytes] | None:
        """(channel, data) of a received message, (CLOSE_SIGNAL, bytes([channel])) for a v5 close signal, or
        None for an empty message. Binary protocols take text messages too (the Python client sends str data as
        text: chr(channel) + data). Raises ValueError for base64 that does not decode."""
        raw = message.encode("utf-8") if isinstance(message, str) else bytes(message)
        if not raw:
            return None
        if self.close_signal and raw[0] == CLOSE_SIGNAL:
            return CLOSE_SIGNAL, raw[1:]
        if self.base64:
            try:
                return raw[0] - ord("0"), base64.b64decode(raw[1:], validate=True)
            except binascii.Error as e:
                raise ValueError(f"illegal base64 data: {e}") from None
        return raw[0], raw[1:]

    def status_message(self, status: dict) -> bytes | None:
        """What the error channel carries for `status` (a metav1.Status as the kubelet marshals it): the JSON for
        v4 and v5; for the older protocols the message of a failure and nothing for success."""
        if self.json_status:
            return json.dumps(status, separators=(",", ":")).encode()
        if status.get("status") == "Success":
            return None
        return status.get("message", "").encode()


PROTOCOLS = {p.name: p for p in (
    ChannelProtocol(V5, base64=False, json_status=True, close_signal=True),
    ChannelProtocol(V4, base64=False, json_status=True, close_signal=False),
    ChannelProtocol(V4_BASE64, base64=True, json_status=True, close_signal=False),
    ChannelProtocol(V1, base64=False, json_status=False, close_signal=False),
    ChannelProtocol(V1_BASE64, base64=True, json_status=False, close_signal=False),
)}
NO_SUBPROTOCOL = ChannelProtocol("", base64=False, json_status=False, close_signal=False)

# What each endpoint accepts, best first (the server takes the first of the client's list that it knows).
REMOTE_COMMAND = (V5, V4, V4_BASE64, V1, V1_BASE64)
PORT_FORWARD = (V4, V4_BASE64)  # kubelet's websocket port-forward: v4 (binary or base64), or no subprotocol


def requested_protocols(header: str) -> list[str]:
    """The Sec-WebSocket-Protocol header's list, in the client's order."""
    return [p.strip() for p in header.split(",") if p.strip()]


def choose(requested: list[str], supported: tuple[str, ...]) -> ChannelProtocol | None:
    """The first protocol the client asked for that `supported` has; NO_SUBPROTOCOL when it asked for none;
    None when it asked only for protocols this endpoint does not speak."""
    if not requested:
        return NO_SUBPROTOCOL
    for name in requested:
        if name in supported:
            return PROTOCOLS[name]
    return None


class ResizeDecoder:
    """The resize channel carries a stream of JSON TerminalSize objects ({"Width": 80, "Height": 24}) that may
    arrive split across messages or several in one (kubectl writes one object and a newline per resize)."""

    def __init__(self):
        self._buffer = ""
        self._decoder = json.JSONDecoder()

    def feed(self, data: bytes) -> list[tuple[int, int]]:
        """(width, height) of every complete object so far; a malformed one ends decoding, as in the kubelet."""
        self._buffer += data.decode("utf-8", "replace")
        sizes = []
        while True:
            text = self._buffer.lstrip()
            if not text:
                self._buffer = ""
                return sizes
            try:
                value, end = self._decoder.raw_decode(text)
            except json.JSONDecodeError:
                if len(text) > 4096:  # never a TerminalSize: drop it rather than grow forever
                    self._buffer = ""
                else:
                    self._buffer = text
                return sizes
            self._buffer = text[end:]
            if isinstance(value, dict):
                width, height = value.get("Width", 0), value.get("Height", 0)
                if isinstance(width, int) and isinstance(height, int):
                    sizes.append((width, height))


# Status objects on the error channel (metav1.Status as json.Marshal writes it: no kind/apiVersion) ----------------
def success() -> dict:
    return {"metadata": {}, "status": "Success"}


def exit_code_status(code: int) -> dict:
    """A command that exited non-zero, as the API server's stream translator reports it: kubectl prints
    `command terminated with exit code N` from the ExitCode cause, and the Python client's `returncode` reads
    the first cause's message."""
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: command terminated with exit code {code}",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def internal_error(message: str) -> dict:
    """apierrors.NewInternalError(err): what a failure inside the kubelet or the translator becomes."""
    return {"metadata": {}, "status": "Failure", "message": f"Internal error occurred: {message}",
            "reason": "InternalError", "details": {"causes": [{"message": message}]}, "code": 500}
