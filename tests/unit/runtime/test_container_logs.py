"""Container log files as containerd writes them (lines cut from arbitrary pieces, P records, rotation) and as
the kubelet reads them back (every option, follow until the process exits, across a rotation)."""
import asyncio
import itertools

import pytest

from sandbox.registry.kubelet_connection import LogOptions, NodeError
from sandbox.runtime.container_logs import MAX_LINE, ContainerLog, ContainerLogs, read_records
from sandbox.machinery.timestamps import epoch_ns as parse_rfc3339

T0 = parse_rfc3339("2026-01-01T10:00:00Z")
POD = {"metadata": {"name": "web-1", "namespace": "shop", "uid": "u-1"}}


def ticking():
    """A clock that moves one second per record written."""
    seconds = itertools.count()
    return lambda: T0 + next(seconds) * 1_000_000_000


def collect(iterator):
    async def run():
        return b"".join([chunk async for chunk in iterator])
    return asyncio.run(run())


def test_lines_are_cut_from_any_pieces_per_stream(tmp_path):
    log = ContainerLog(tmp_path / "0.log", now_ns=ticking())
    log.write("stdout", b"hel")
    log.write("stderr", b"oops\nwarn")
    log.write("stdout", b"lo\nwor")
    log.write("stdout", b"ld\n")
    log.close()  # "warn" was never ended: a last P record
    lines = (tmp_path / "0.log").read_bytes().decode().splitlines()
    assert lines == ["2026-01-01T10:00:00Z stderr F oops", "2026-01-01T10:00:01Z stdout F hello",
                     "2026-01-01T10:00:02Z stdout F world", "2026-01-01T10:00:03Z stderr P warn"]


def test_a_long_line_goes_out_in_pieces(tmp_path):
    log = ContainerLog(tmp_path / "0.log", now_ns=ticking())
    log.write("stdout", b"x" * (MAX_LINE + 10) + b"\n")
    log.close()
    records = read_records(tmp_path / "0.log")
    assert [(r.partial, len(r.text)) for r in records] == [(True, MAX_LINE), (False, 11)]


def test_rotation_keeps_max_files_and_reading_sees_the_current_file(tmp_path):
    logs = ContainerLogs(tmp_path, max_size=300, max_files=2)
    log = logs.open(POD, "api", 0, "containerd://a")
    clock = ticking()
    log.now_ns = clock
    for i in range(40):
        log.write("stdout", f"line {i:02d}\n".encode())
    directory = tmp_path / "shop_web-1_u-1" / "api"
    files = sorted(p.name for p in directory.iterdir())
    assert len(files) == 2 and files[0] == "0.log" and files[1].startswith("0.log.2026")
    log.write("stdout", b"after the last rotation\n")
    # what `kubectl logs` shows: the current file only, not the rotated one (as on a real node)
    assert collect(logs.read("containerd://a", LogOptions())) == b"after the last rotation\n"


def test_one_earlier_instance_is_kept_for_previous_and_a_deleted_pod_leaves_nothing(tmp_path):
    logs = ContainerLogs(tmp_path)
    for restart in range(3):
        log = logs.open(POD, "api", restart, f"containerd://{restart}")
        log.write("stdout", f"instance {restart}\n".encode())
        log.close()
    directory = tmp_path / "shop_web-1_u-1" / "api"
    assert sorted(p.name for p in directory.iterdir()) == ["1.log", "2.log"]
    assert collect(logs.read("containerd://1", LogOptions())) == b"instance 1\n"
    with pytest.raises(NodeError) as caught:
        logs.read("containerd://0", LogOptions())
    assert caught.value.code == 500 and "not found" in caught.value.message
    logs.remove_pod(POD)
    assert not (tmp_path / "shop_web-1_u-1").exists()


def test_reading_applies_the_options(tmp_path):
    logs = ContainerLogs(tmp_path)
    log = logs.open(POD, "api", 0, "containerd://a")
    log.now_ns = ticking()
    for line in (b"a\n", b"b\n", b"c\n"):
        log.write("stdout", line)
    log.write("stderr", b"e\n")
    assert collect(logs.read("containerd://a", LogOptions(tail_lines=2))) == b"c\ne\n"
    assert collect(logs.read("containerd://a", LogOptions(stream="Stderr"))) == b"e\n"
    assert collect(logs.read("containerd://a", LogOptions(timestamps=True, tail_lines=1))) == \
        b"2026-01-01T10:00:03.000000000Z e\n"
    now = T0 + 4 * 1_000_000_000  # two seconds back from here: records at 10:00:02 and :03
    assert collect(logs.read("containerd://a", LogOptions(since_seconds=2), now_ns=now)) == b"c\ne\n"
    assert collect(logs.read("containerd://a", LogOptions(limit_bytes=3))) == b"a\nb"


def test_follow_streams_until_the_process_exits(tmp_path):
    async def scenario():
        logs = ContainerLogs(tmp_path, max_size=300)
        log = logs.open(POD, "api", 0, "containerd://a")
        log.write("stdout", b"before\n")
        stream = logs.read("containerd://a", LogOptions(follow=True))
        assert await stream.__anext__() == b"before\n"
        pending = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.05)
        assert not pending.done()  # nothing new: the follower waits
        log.write("stdout", b"after\n")
        assert await asyncio.wait_for(pending, 5) == b"after\n"
        for i in range(8):  # past max_size: the file rotates once under the follower, nothing is lost
            log.write("stdout", f"n{i:02d}\n".encode())
        assert len(list(log.path.parent.iterdir())) == 2
        log.write("stdout", b"the end without a newline")
        log.close()
        rest = b"".join([chunk async for chunk in stream])
        assert rest == b"".join(f"n{i:02d}\n".encode() for i in range(8)) + b"the end without a newline"
    asyncio.run(scenario())


def test_follow_from_the_end_and_a_follower_that_leaves(tmp_path):
    async def scenario():
        logs = ContainerLogs(tmp_path)
        log = logs.open(POD, "api", 0, "containerd://a")
        log.write("stdout", b"old\n")
        stream = logs.read("containerd://a", LogOptions(follow=True, tail_lines=0))
        pending = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.05)
        log.write("stdout", b"new\n")
        assert await asyncio.wait_for(pending, 5) == b"new\n"
        await stream.aclose()  # the client went away: the reader lets go of the file
        log.write("stdout", b"nobody reads this\n")
        limited = logs.read("containerd://a", LogOptions(follow=True, limit_bytes=5))
        assert b"".join([chunk async for chunk in limited]) == b"old\nn"  # ends once the bytes are used up
    asyncio.run(scenario())
