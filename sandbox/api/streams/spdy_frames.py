"""SPDY/3.1 frames (the draft spec, as moby/spdystream reads and writes them for client-go): pure encoding and
decoding, no I/O.

    control frame: 1 | version 3 (15 bits) | type (16) | flags (8) | length (24) | payload
    data frame:    0 | stream id (31)      | flags (8) | length (24) | data

Header blocks (SYN_STREAM, SYN_REPLY, HEADERS) are name/value pairs, each length-prefixed (32 bits), values joined
by NUL, names lower case, compressed with one zlib stream per direction for the whole session (SPDY's
dictionary preset, a sync flush after every block). A decoder therefore lives as long as its session."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
FLAG_UNIDIRECTIONAL = 0x02
MAX_DATA_LENGTH = (1 << 24) - 1
DEFAULT_WINDOW = 64 * 1024  # SPDY/3.1: every stream and the session start with this send window
SETTINGS_INITIAL_WINDOW_SIZE = 7

# RST_STREAM status codes
PROTOCOL_ERROR, INVALID_STREAM, REFUSED_STREAM, UNSUPPORTED_VERSION, CANCEL, INTERNAL_ERROR, FLOW_CONTROL_ERROR, \
    STREAM_IN_USE, STREAM_ALREADY_CLOSED = range(1, 10)
GOAWAY_OK, GOAWAY_PROTOCOL_ERROR, GOAWAY_INTERNAL_ERROR = 0, 1, 2

# The zlib dictionary SPDY/3 header compression is primed with: each word with a 32-bit length, then a text tail.
_DICTIONARY_WORDS = (
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
    "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
    "content-base", "content-encoding", "content-language", "content-length", "content-location", "content-md5",
    "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host", "if-match",
    "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after",
    "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
    "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie",
    "keep-alive", "origin")
_DICTIONARY_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.")
DICTIONARY = b"".join(struct.pack(">I", len(word)) + word.encode() for word in _DICTIONARY_WORDS) + \
    _DICTIONARY_TAIL.encode()


class SpdyProtocolError(Exception):
    """The peer sent something that is not SPDY/3.1: the session ends with GOAWAY(PROTOCOL_ERROR)."""


Headers = dict  # lower-case name -> list of values


@dataclass
class DataFrame:
    stream_id: int
    data: bytes
    flags: int = 0


@dataclass
class SynStream:
    stream_id: int
    headers: Headers
    flags: int = 0
    associated_to: int = 0
    priority: int = 0


@dataclass
class SynReply:
    stream_id: int
    headers: Headers = field(default_factory=dict)
    flags: int = 0


@dataclass
class HeadersFrame:
    stream_id: int
    headers: Headers = field(default_factory=dict)
    flags: int = 0


@dataclass
class RstStream:
    stream_id: int
    status: int


@dataclass
class Settings:
    values: dict  # id -> value
    flags: int = 0


@dataclass
class Ping:
    ping_id: int


@dataclass
class GoAway:
    last_good_stream_id: int
    status: int = GOAWAY_OK


@dataclass
class WindowUpdate:
    stream_id: int
    delta: int


# header blocks ----------------------------------------------------------------------------------------------------
class HeaderCompressor:
    """One direction's compression context (the writer's side of a session)."""

    def __init__(self):
        self._zlib = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)

    def compress(self, headers: Headers) -> bytes:
        block = [struct.pack(">I", len(headers))]
        for name, values in headers.items():
            raw_name = name.lower().encode()
            value = "\x00".join(values if isinstance(values, (list, tuple)) else [values]).encode()
            block += [struct.pack(">I", len(raw_name)), raw_name, struct.pack(">I", len(value)), value]
        return self._zlib.compress(b"".join(block)) + self._zlib.flush(zlib.Z_SYNC_FLUSH)


class HeaderDecompressor:
    """The reader's side: one context for every header block the peer sends."""

    def __init__(self):
        self._zlib = zlib.decompressobj(15, DICTIONARY)

    def decompress(self, compressed: bytes) -> Headers:
        try:
            block = self._zlib.decompress(compressed)
        except zlib.error as e:
            raise SpdyProtocolError(f"header block does not decompress: {e}") from None
        return parse_header_block(block)


def parse_header_block(block: bytes) -> Headers:
    try:
        (count,), offset = struct.unpack_from(">I", block, 0), 4
        headers: Headers = {}
        for _ in range(count):
            (length,) = struct.unpack_from(">I", block, offset)
            name = block[offset + 4:offset + 4 + length].decode()
            offset += 4 + length
            (length,) = struct.unpack_from(">I", block, offset)
            value = block[offset + 4:offset + 4 + length].decode()
            offset += 4 + length
            headers.setdefault(name.lower(), []).extend(value.split("\x00"))
        if offset != len(block):
            raise SpdyProtocolError("compressed payload size was incorrect")
        return headers
    except (struct.error, UnicodeDecodeError) as e:
        raise SpdyProtocolError(f"malformed header block: {e}") from None


# encoding ---------------------------------------------------------------------------------------------------------
def _control(frame_type: int, flags: int, payload: bytes) -> bytes:
    return struct.pack(">HHI", 0x8000 | VERSION, frame_type, (flags << 24) | len(payload)) + payload


def encode(frame, compressor: HeaderCompressor) -> bytes:
    if isinstance(frame, DataFrame):
        if len(frame.data) > MAX_DATA_LENGTH:
            raise ValueError("data frame too large")
        return struct.pack(">II", frame.stream_id & 0x7FFFFFFF, (frame.flags << 24) | len(frame.data)) + frame.data
    if isinstance(frame, SynStream):
        head = struct.pack(">IIBB", frame.stream_id, frame.associated_to, (frame.priority & 7) << 5, 0)
        return _control(SYN_STREAM, frame.flags, head + compressor.compress(frame.headers))
    if isinstance(frame, SynReply):
        return _control(SYN_REPLY, frame.flags, struct.pack(">I", frame.stream_id) + compressor.compress(frame.headers))
    if isinstance(frame, HeadersFrame):
        return _control(HEADERS, frame.flags, struct.pack(">I", frame.stream_id) + compressor.compress(frame.headers))
    if isinstance(frame, RstStream):
        return _control(RST_STREAM, 0, struct.pack(">II", frame.stream_id, frame.status))
    if isinstance(frame, Settings):
        entries = b"".join(struct.pack(">II", key & 0xFFFFFF, value) for key, value in frame.values.items())
        return _control(SETTINGS, frame.flags, struct.pack(">I", len(frame.values)) + entries)
    if isinstance(frame, Ping):
        return _control(PING, 0, struct.pack(">I", frame.ping_id))
    if isinstance(frame, GoAway):
        return _control(GOAWAY, 0, struct.pack(">II", frame.last_good_stream_id, frame.status))
    if isinstance(frame, WindowUpdate):
        return _control(WINDOW_UPDATE, 0, struct.pack(">II", frame.stream_id, frame.delta))
    raise TypeError(f"not a SPDY frame: {frame!r}")


# decoding ---------------------------------------------------------------------------------------------------------
class FrameReader:
    """Incremental decoding: feed() the bytes as they arrive, get every complete frame back. Unknown control
    frame types are skipped, as the spec asks."""

    def __init__(self, max_frame: int = MAX_DATA_LENGTH):
        self._buffer = bytearray()
        self._headers = HeaderDecompressor()
        self._max_frame = max_frame

    def feed(self, data: bytes) -> list:
        self._buffer += data
        frames = []
        while len(self._buffer) >= 8:
            first, second = struct.unpack_from(">II", self._buffer, 0)
            length = second & 0xFFFFFF
            if length > self._max_frame:
                raise SpdyProtocolError(f"frame of {length} bytes is too large")
            if len(self._buffer) < 8 + length:
                break
            payload = bytes(self._buffer[8:8 + length])
            del self._buffer[:8 + length]
            flags = second >> 24
            if first & 0x80000000:
                frame = self._control((first >> 16) & 0x7FFF, first & 0xFFFF, flags, payload)
            else:
                frame = DataFrame(first & 0x7FFFFFFF, payload, flags)
                if frame.stream_id == 0:
                    raise SpdyProtocolError("stream id zero is disallowed")
            if frame is not None:
                frames.append(frame)
        return frames

    def _control(self, version: int, frame_type: int, flags: int, payload: bytes):
        if version != VERSION:
            raise SpdyProtocolError(f"unsupported SPDY version {version}")
        try:
            if frame_type == SYN_STREAM:
                stream_id, associated, priority, _slot = struct.unpack_from(">IIBB", payload, 0)
                return SynStream(stream_id & 0x7FFFFFFF, self._headers.decompress(payload[10:]), flags,
                                 associated & 0x7FFFFFFF, priority >> 5)
            if frame_type in (SYN_REPLY, HEADERS):
                (stream_id,) = struct.unpack_from(">I", payload, 0)
                kind = SynReply if frame_type == SYN_REPLY else HeadersFrame
                return kind(stream_id & 0x7FFFFFFF, self._headers.decompress(payload[4:]), flags)
            if frame_type == RST_STREAM:
                stream_id, status = struct.unpack(">II", payload)
                return RstStream(stream_id & 0x7FFFFFFF, status)
            if frame_type == SETTINGS:
                (count,) = struct.unpack_from(">I", payload, 0)
                pairs = [struct.unpack_from(">II", payload, 4 + 8 * i) for i in range(count)]
                return Settings({key & 0xFFFFFF: value for key, value in pairs}, flags)
            if frame_type == PING:
                return Ping(struct.unpack(">I", payload)[0])
            if frame_type == GOAWAY:
                last, status = struct.unpack(">II", payload)
                return GoAway(last & 0x7FFFFFFF, status)
            if frame_type == WINDOW_UPDATE:
                stream_id, delta = struct.unpack(">II", payload)
                return WindowUpdate(stream_id & 0x7FFFFFFF, delta & 0x7FFFFFFF)
        except struct.error as e:
            raise SpdyProtocolError(f"invalid control frame (type {frame_type}): {e}") from None
        return None  # unknown control frame type: ignored
