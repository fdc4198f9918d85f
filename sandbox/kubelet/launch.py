"""How one container of a runnable image starts here: the command line, environment and working directory the
kubelet and the container runtime would give it, turned into a local process's.

- environment: the image's ENV, then what the kubelet computes for the container (service links, envFrom, env;
  sandbox/runtime/environment.py), then what the runtime sets (HOSTNAME), then the pod network's layer;
- command: the image's entrypoint and cmd with the container's command and args, $(VAR) expanded
  (sandbox/runtime/commands.py), the program looked up on the image's PATH (its bin directory:
  sandbox/runtime/catalogue.py) as runc looks it up;
- working directory: the container's workingDir or the image's, under the container's own scratch directory
  (a container's filesystem is the machine's, except its working directory and the paths its image maps);
- the checks runc and the kubelet make first: runAsNonRoot against the image's user.

Every failure is LaunchError with the kubelet's reason and message: CreateContainerConfigError for what the
kubelet cannot assemble (a missing ConfigMap, root refused), StartError for what the runtime cannot exec."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.runtime import catalogue, commands, environment
from sandbox.runtime.catalogue import RunnableImage

SANDBOX_ROOT = str(Path(__file__).resolve().parents[2])  # the directory holding the sandbox package


class LaunchError(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


@dataclass(frozen=True)
class Launch:
    argv: list[str]  # as this machine runs it
    command: list[str]  # as the container sees it (messages, `kubectl describe`)
    env: dict[str, str]
    cwd: str
    container_env: dict[str, str]  # what `env` in the container prints (exec and probes get the same)
    python_args: list[str] | None = None  # the program is the image's Python: what follows it (for the zygote)


@dataclass(frozen=True)
class PodContext:
    """What the launcher needs to know about the pod and the node."""
    pod: dict
    pod_ip: str
    host_ip: str
    services: list[dict]
    config_maps: object  # .get((namespace, name)) -> ConfigMap dict | None
    secrets: object  # .get((namespace, name)) -> Secret dict | None
    node_allocatable: dict
    network_env: object  # container name -> the variables that put the pod network's layer into its processes
    scratch: Path  # this pod's directory for the containers' working directories
    bin_root: Path  # where the images' bin directories are
    volumes: dict = field(default_factory=dict)  # volume name -> its directory on this machine (volume_directories)


def _check_user(pod: dict, container: dict, image: RunnableImage) -> None:
    """runAsNonRoot: the kubelet refuses to start a container whose user would be root."""
    pod_context = (pod.get("spec") or {}).get("securityContext") or {}
    context = container.get("securityContext") or {}
    non_root = context.get("runAsNonRoot", pod_context.get("runAsNonRoot"))
    run_as = context.get("runAsUser", pod_context.get("runAsUser"))
    if not non_root:
        return
    meta = pod["metadata"]
    where = f'(pod: "{meta["name"]}_{meta["namespace"]}({meta["uid"]})", container: {container.get("name")})'
    if run_as == 0:
        raise LaunchError("CreateContainerConfigError", f"container's runAsUser breaks non-root policy {where}")
    if run_as is None and image.runs_as_root:
        raise LaunchError("CreateContainerConfigError", f"container has runAsNonRoot and image will run as root {where}")


class ProgramNotFound(Exception):
    """argv[0] is not in the image: `problem` is "not found" (a bare name not on PATH) or "missing" (a path)."""

    def __init__(self, program: str, problem: str):
        super().__init__(program)
        self.program, self.problem = program, problem


def resolve_program(image: RunnableImage, program: str, bin_directory: Path) -> str:
    """argv[0] as runc finds it in the image: a bare name on PATH, a path by its file name when the image has
    that program (`/bin/sh`, `/usr/local/bin/python`)."""
    name = os.path.basename(program)
    if image.has_program(name) and (bin_directory / name).exists():
        return str(bin_directory / name)
    raise ProgramNotFound(program, "missing" if "/" in program else "not found")


def working_directory(image: RunnableImage, container: dict, scratch: Path, volumes: dict | None = None) -> Path:
    """The container's working directory, inside its scratch root, with the image's linked paths in place and its
    volume mounts linked to their volumes' directories (a Redis whose WORKDIR /data is a claim's volume keeps its
    dump there)."""
    root = scratch / container.get("name", "container")
    links = dict(catalogue.linked_paths(image))
    for mount in container.get("volumeMounts") or []:
        found = (volumes or {}).get(mount.get("name"))
        if found is not None and mount.get("mountPath"):
            links[mount["mountPath"]] = found
    for path, host in links.items():
        link = root / path.lstrip("/")
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink() and not link.exists():
            link.symlink_to(host)
    cwd = root / (container.get("workingDir") or image.working_dir or "/").lstrip("/")
    cwd.mkdir(parents=True, exist_ok=True)
    return cwd


def launch(image: RunnableImage, container: dict, ctx: PodContext) -> Launch:
    pod = ctx.pod
    _check_user(pod, container, image)
    try:
        pairs = environment.container_environment(
            pod, container, pod_ip=ctx.pod_ip, host_ip=ctx.host_ip, services=ctx.services,
            config_maps=ctx.config_maps, secrets=ctx.secrets, node_allocatable=ctx.node_allocatable)
    except environment.ContainerConfigError as e:
        raise LaunchError(e.reason, e.message) from None
    bin_directory = catalogue.write_bin_directory(image, ctx.bin_root)
    container_env = dict(image.env)
    container_env.update(pairs)
    hostname = (pod.get("spec") or {}).get("hostname") or pod["metadata"]["name"]
    container_env.setdefault("HOSTNAME", hostname)
    root = ctx.scratch / container.get("name", "container")
    container_env.setdefault("HOME", "/root" if image.runs_as_root else "/")
    expanded_command, expanded_args = commands.expand_command(container, pairs)
    try:
        command = commands.command_line(entrypoint=list(image.entrypoint), cmd=list(image.cmd),
                                        command=expanded_command, args=expanded_args)
    except commands.NoCommandError as e:
        raise LaunchError("StartError", e.message) from None
    try:
        program = resolve_program(image, command[0], bin_directory)
    except ProgramNotFound as e:
        raise LaunchError("StartError", commands.start_error_message(e.program, e.problem)) from None
    cwd = working_directory(image, container, ctx.scratch, ctx.volumes)
    env = dict(container_env)
    env["PATH"] = str(bin_directory)  # the image's programs, and only them
    env["HOME"] = str(root)
    python_path = [str(root / p.lstrip("/")) for p in image.python_path]
    python_path.append(SANDBOX_ROOT)  # the launchers and the network layer are sandbox modules
    network_env = ctx.network_env(container.get("name", ""))
    env.update(network_env)
    layer_path = network_env.get("PYTHONPATH")
    own = container_env.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (layer_path, *python_path, own) if p)
    python_args = command[1:] if catalogue.is_python(program) else None
    return Launch([program, *command[1:]], command, env, str(cwd), container_env, python_args)


def volume_directories(pod: dict, node_root: Path, scratch: Path, claims, volumes) -> dict[str, Path]:
    """Where a pod's volumes are on this machine: a hostPath (or a claim bound to a hostPath or local volume) under
    its node's directory, an emptyDir in the pod's scratch directory; each made if missing. `claims` and `volumes`
    look PersistentVolumeClaims up by (namespace, name) and PersistentVolumes by name."""
    out: dict[str, Path] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name, path = volume.get("name"), None
        if isinstance(volume.get("persistentVolumeClaim"), dict):
            claim = claims(pod["metadata"]["namespace"], volume["persistentVolumeClaim"].get("claimName", ""))
            bound = volumes((claim.get("spec") or {}).get("volumeName", "")) if claim else None
            spec = (bound or {}).get("spec") or {}
            source = spec.get("hostPath") or spec.get("local") or {}
            path = node_root / str(source["path"]).lstrip("/") if source.get("path") else None
        elif isinstance(volume.get("hostPath"), dict) and volume["hostPath"].get("path"):
            path = node_root / str(volume["hostPath"]["path"]).lstrip("/")
        elif isinstance(volume.get("emptyDir"), dict):
            path = scratch / "volumes" / str(name)
        if name and path is not None:
            path.mkdir(parents=True, exist_ok=True)
            out[name] = path
    return out


def exec_argv(image: RunnableImage, command: list[str], bin_root: Path, *, strict: bool = True) -> list[str]:
    """argv for a command run inside a running container (exec probes, hooks, `kubectl exec`), found on the
    image's PATH. A program the image does not have raises ProgramNotFound, or with strict=False is left as it is
    for the caller's own lookup to refuse in its words."""
    bin_directory = catalogue.write_bin_directory(image, bin_root)
    try:
        return [resolve_program(image, command[0], bin_directory), *command[1:]]
    except ProgramNotFound:
        if strict:
            raise
        return list(command)
