"""SPDY/3.1 framing (sandbox/api/streams/spdy_frames.py): every frame type round-trips, header blocks share one
compression context per direction, decoding is incremental, and bad input is a protocol error."""
import struct
import zlib

import pytest

from sandbox.api.streams import spdy_frames as f


def roundtrip(*frames):
    compressor, reader = f.HeaderCompressor(), f.FrameReader()
    wire = b"".join(f.encode(frame, compressor) for frame in frames)
    return reader.feed(wire)


def test_the_dictionary_is_spdy3s():
    # 1423 bytes: 65 length-prefixed words and the text tail; zlib names it by its Adler-32 in every stream
    assert len(f.DICTIONARY) == 1423
    assert f.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert f.DICTIONARY.endswith(b"charset=utf-8charset=iso-8859-1,utf-,*,enq=0.")
    block = f.HeaderCompressor().compress({"port": ["80"]})
    assert block[1] & 0x20, "the FDICT bit: the stream needs the preset dictionary"
    assert struct.unpack(">I", block[2:6])[0] == zlib.adler32(f.DICTIONARY)


@pytest.mark.parametrize("frame", [
    f.DataFrame(3, b"hello", f.FLAG_FIN),
    f.DataFrame(5, b""),
    f.SynStream(1, {"streamtype": ["error"], "port": ["80"], "requestid": ["0"]}, f.FLAG_FIN, 0, 3),
    f.SynReply(1, {}),
    f.HeadersFrame(7, {"x": ["a", "b"]}),
    f.RstStream(9, f.CANCEL),
    f.Settings({f.SETTINGS_INITIAL_WINDOW_SIZE: 1 << 20}),
    f.Ping(11),
    f.GoAway(13, f.GOAWAY_OK),
    f.WindowUpdate(0, 32768),
])
def test_every_frame_round_trips(frame):
    assert roundtrip(frame) == [frame]


def test_header_blocks_share_the_compression_context():
    compressor, reader = f.HeaderCompressor(), f.FrameReader()
    frames = [f.SynStream(i, {"streamtype": ["data"], "port": ["8080"], "requestid": [str(i)]}) for i in (1, 3, 5)]
    wire = [f.encode(frame, compressor) for frame in frames]
    assert len(wire[2]) < len(wire[0]), "the later blocks refer back to the earlier ones"
    assert reader.feed(b"".join(wire)) == frames
    with pytest.raises(f.SpdyProtocolError):  # a fresh context cannot read the third block alone
        f.FrameReader().feed(wire[2])


def test_decoding_is_incremental():
    compressor, reader = f.HeaderCompressor(), f.FrameReader()
    wire = f.encode(f.SynStream(1, {"a": ["b"]}), compressor) + f.encode(f.DataFrame(1, b"x" * 1000), compressor)
    got = []
    for i in range(len(wire)):
        got += reader.feed(wire[i:i + 1])
    assert [type(frame) for frame in got] == [f.SynStream, f.DataFrame]
    assert got[1].data == b"x" * 1000


def test_header_names_arrive_lower_case_and_values_split_on_nul():
    raw = struct.pack(">I", 1) + struct.pack(">I", 10) + b"StreamType" + struct.pack(">I", 7) + b"a\x00data2"
    assert f.parse_header_block(raw) == {"streamtype": ["a", "data2"]}


def test_unknown_control_frames_are_skipped():
    unknown = struct.pack(">HHI", 0x8000 | 3, 10, 4) + b"abcd"  # type 10 (CREDENTIAL, dropped in 3.1)
    assert f.FrameReader().feed(unknown + f.encode(f.Ping(1), f.HeaderCompressor())) == [f.Ping(1)]


@pytest.mark.parametrize("wire, why", [
    (struct.pack(">HHI", 0x8000 | 2, f.PING, 4) + b"\x00\x00\x00\x01", "version"),
    (struct.pack(">II", 0, 3) + b"abc", "stream id zero"),
    (struct.pack(">HHI", 0x8000 | 3, f.RST_STREAM, 3) + b"abc", "invalid control frame"),
    (struct.pack(">HHI", 0x8000 | 3, f.SYN_REPLY, 8) + struct.pack(">I", 1) + b"junk", "decompress"),
])
def test_malformed_frames_are_protocol_errors(wire, why):
    with pytest.raises(f.SpdyProtocolError, match=why):
        f.FrameReader().feed(wire)


def test_frames_beyond_the_limit_are_refused():
    with pytest.raises(f.SpdyProtocolError, match="too large"):
        f.FrameReader(max_frame=1024).feed(struct.pack(">II", 1, 4096))
