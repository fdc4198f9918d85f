"""A container's command line, environment and working directory as a local process's: programs found on the
image's PATH as runc finds them, runAsNonRoot against the image's user, the kubelet's environment under the
image's, and the pod network's variables for Python processes."""
from __future__ import annotations

import os

import pytest

from sandbox.kubelet import launch
from sandbox.kubelet.launch import LaunchError, PodContext
from sandbox.runtime import catalogue
from sandbox.simulation import images

APP = catalogue.lookup(images.parse("containo-orders:dev"))
PYTHON = catalogue.lookup(images.parse("python:3.12-slim"))


def pod(**spec) -> dict:
    return {"metadata": {"name": "api-1", "namespace": "shop", "uid": "u-1"}, "spec": spec, "status": {}}


def context(tmp_path, the_pod: dict) -> PodContext:
    return PodContext(the_pod, "10.244.1.5", "172.18.0.3", [], {}, {},
                      {"cpu": "4", "memory": "8Gi"}, lambda container: {"SANDBOX_NET_POD_IP": "10.244.1.5",
                                                                        "PYTHONPATH": "/layer"},
                      tmp_path / "pods" / "u-1", tmp_path / "images")


def test_the_app_image_runs_its_cmd_with_the_project_python_and_the_app_on_its_path(tmp_path):
    container = {"name": "api", "image": "containo-orders:dev", "env": [{"name": "ORDERS_PORT", "value": "80"}]}
    started = launch.launch(APP, container, context(tmp_path, pod(containers=[container])))
    assert started.command == ["python", "-m", "app.api"] and started.python_args == ["-m", "app.api"]
    assert os.path.basename(started.argv[0]) == "python" and os.access(started.argv[0], os.X_OK)
    assert started.env["ORDERS_PORT"] == "80" and started.env["PYTHONUNBUFFERED"] == "1"
    assert started.env["HOSTNAME"] == "api-1" and started.env["SANDBOX_NET_POD_IP"] == "10.244.1.5"
    assert started.env["PATH"] == str(tmp_path / "images" / "containo-orders" / "bin")
    assert started.env["PYTHONPATH"].split(os.pathsep)[0] == "/layer"
    assert started.cwd.endswith("/srv") and os.path.isdir(os.path.join(started.cwd, "app"))
    assert started.container_env["PATH"] == catalogue.DEFAULT_PATH  # what the container itself was given


def test_command_and_args_expand_variables_and_replace_the_image_entrypoint(tmp_path):
    container = {"name": "c", "image": "python:3.12", "command": ["sh", "-c"], "args": ["echo $(GREETING) $$(x)"],
                 "env": [{"name": "GREETING", "value": "hi"}]}
    started = launch.launch(PYTHON, container, context(tmp_path, pod(containers=[container])))
    assert started.command == ["sh", "-c", "echo hi $(x)"] and started.python_args is None


@pytest.mark.parametrize("program, message", [
    ("curl", 'exec: "curl": executable file not found in $PATH'),
    ("/opt/tool", 'exec: "/opt/tool": stat /opt/tool: no such file or directory'),
])
def test_a_program_the_image_lacks_is_a_start_error_in_runcs_words(tmp_path, program, message):
    container = {"name": "c", "image": "python:3.12", "command": [program]}
    with pytest.raises(LaunchError) as error:
        launch.launch(PYTHON, container, context(tmp_path, pod(containers=[container])))
    assert error.value.reason == "StartError" and message in error.value.message


def test_an_absolute_path_to_a_program_the_image_has_is_found(tmp_path):
    container = {"name": "c", "image": "python:3.12", "command": ["/usr/local/bin/python3", "-V"]}
    started = launch.launch(PYTHON, container, context(tmp_path, pod(containers=[container])))
    assert os.path.basename(started.argv[0]) == "python3" and started.python_args == ["-V"]


def test_run_as_non_root_refuses_an_image_that_runs_as_root(tmp_path):
    redis = catalogue.CATALOGUE[1]
    container = {"name": "redis", "image": "redis:7.4"}
    the_pod = pod(containers=[container], securityContext={"runAsNonRoot": True})
    with pytest.raises(LaunchError) as error:
        launch.launch(redis, container, context(tmp_path, the_pod))
    assert error.value.reason == "CreateContainerConfigError"
    assert error.value.message == ('container has runAsNonRoot and image will run as root (pod: "api-1_shop(u-1)", '
                                   'container: redis)')
    # the app's image runs as 10001: allowed
    app = {"name": "api", "image": "containo-orders:dev"}
    launch.launch(APP, app, context(tmp_path, pod(containers=[app], securityContext={"runAsNonRoot": True})))


def test_a_missing_config_map_waits_with_the_kubelets_message(tmp_path):
    container = {"name": "c", "image": "python:3.12", "envFrom": [{"configMapRef": {"name": "settings"}}]}
    with pytest.raises(LaunchError) as error:
        launch.launch(PYTHON, container, context(tmp_path, pod(containers=[container])))
    assert (error.value.reason, error.value.message) == ("CreateContainerConfigError", 'configmap "settings" not found')
