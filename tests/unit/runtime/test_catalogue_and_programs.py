"""The image catalogue, the reaper's bookkeeping and the Redis launchers' command lines (pure parts)."""
from __future__ import annotations

import pytest

from sandbox.runtime import catalogue, reaper
from sandbox.runtime.programs import redis_cli, redis_entrypoint, redis_server
from sandbox.simulation import images


@pytest.mark.parametrize("reference, name", [
    ("containo-orders:dev", "containo-orders"), ("registry.example/team/containo-orders:1", None),
    ("redis:7.4-alpine", "redis"), ("valkey/valkey:8", "redis"), ("python:3.12-slim", "python"),
    ("nginx:1.27", None), ("docker.io/library/python@sha256:abc", "python"),
])
def test_the_catalogue_knows_the_workshops_images(reference, name):
    entry = catalogue.lookup(images.parse(reference))
    assert (entry.name if entry else None) == name


def test_each_image_has_a_bin_directory_of_its_programs(tmp_path):
    entry = catalogue.lookup(images.parse("containo-orders:dev"))
    directory = catalogue.write_bin_directory(entry, tmp_path)
    names = {p.name for p in directory.iterdir() if not p.name.startswith(".")}
    assert {"python", "python3", "sh"} <= names and "redis-cli" not in names and "curl" not in names
    assert catalogue.write_bin_directory(entry, tmp_path) == directory  # made once


def test_the_reaper_keeps_the_groups_still_alive():
    assert reaper.follow(["+10\n", "+11\n", "-10\n", "garbage\n", "+1\n", "+0\n", "+12"]) == {11, 12}


@pytest.mark.parametrize("argv, expected", [
    (["--save", ""], ["redis-server", "--save", ""]),
    (["/etc/redis.conf"], ["redis-server", "/etc/redis.conf"]),
    (["redis-server", "--port", "7000"], ["redis-server", "--port", "7000"]),
    (["sh", "-c", "true"], ["sh", "-c", "true"]),
    ([], ["redis-server"]),
])
def test_the_redis_entrypoint_puts_the_server_in_front_of_options(argv, expected):
    assert redis_entrypoint.command(argv) == expected


def test_the_redis_server_listens_where_the_pod_network_says():
    argv = ["--save", "", "--port", "7000", "--bind", "0.0.0.0", "--maxmemory", "48mb"]
    assert redis_server.requested_port(argv) == 7000 and redis_server.requested_port(["--save", ""]) == 6379
    assert redis_server.server_arguments(argv, 41234) == ["--save", "", "--maxmemory", "48mb", "--port", "41234",
                                                          "--bind", "127.0.0.1", "--daemonize", "no"]


@pytest.mark.parametrize("argv, host, port, rest", [
    (["ping"], "127.0.0.1", 6379, ["ping"]),
    (["-h", "cache", "-p", "6666", "ping"], "cache", 6666, ["ping"]),
    (["-n", "1", "LLEN", "orders"], "127.0.0.1", 6379, ["-n", "1", "LLEN", "orders"]),
])
def test_the_redis_cli_reads_the_address_it_was_given(argv, host, port, rest):
    out, given_host, given_port, uri_index = redis_cli.translate(argv)
    assert (out, given_host, given_port, uri_index) == (rest, host, port, None)


def test_the_redis_cli_reads_a_url():
    out, host, port, index = redis_cli.translate(["-u", "redis://:secret@queue:6380/0", "ping"])
    assert (host, port, out[index]) == ("queue", 6380, "redis://:secret@queue:6380/0")
