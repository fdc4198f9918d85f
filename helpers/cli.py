"""`workshop`: the command line for learners and instructors.

    workshop lab                 the sandbox (started if needed) and JupyterLab on notebooks/
    workshop env                 `export` lines that point a shell's kubectl at the workshop's cluster
    workshop up --kind           a real kind cluster with the app image, metrics-server, KEDA, a load balancer
    workshop check [--kind]      preflight: is this machine ready? (each failure with its fix)
    workshop reset --to 04       bring the cluster to the state chapter 04 starts from
    workshop progress            which chapters' checkpoints pass, per learner namespace
    workshop learners create alice bob   one shared cluster: a namespace, account, role and kubeconfig each

Subcommands build their commands with pure functions (tested offline). The cluster and namespace are resolved as
connect() resolves them (helpers.cluster); the chapter and checkpoint helpers are imported inside the commands
that use them. Every failure the user can fix is a WorkshopError, printed as its message alone.
"""
from __future__ import annotations

import argparse
import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from sandbox.kubeconfig import discovery_cache

from . import kind, lab, preflight
from .cluster import context_learner, default_kubeconfig, environment, namespace_for
from .guard import KIND_CONTEXT, SANDBOX_CONTEXT
from .errors import WorkshopError

REPO = kind.REPO
NOTEBOOKS = REPO / "notebooks"



# Which cluster: the flags' choice, exported as the environment connect() reads (helpers.cluster.environment),
# in the namespace connect() would choose (helpers.cluster.namespace_for).

def cluster_choice(args: argparse.Namespace) -> str:
    if getattr(args, "context", None):
        return "context"
    return "kind" if getattr(args, "kind", False) else "sandbox"


def lab_command(*, port: int | None = None, browser: bool = True, notebooks: Path = NOTEBOOKS,
                as_root: bool | None = None) -> list[str]:
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={notebooks}"]
    if as_root if as_root is not None else os.geteuid() == 0:
        command.append("--allow-root")  # containers and fresh VMs often run as root; JupyterLab refuses without it
    if port:
        command.append(f"--port={port}")
    if not browser:
        command.append("--no-browser")
    return command


def _sandbox():
    try:
        from sandbox import daemon
    except ImportError as error:
        raise WorkshopError(f"the sandbox cannot be loaded ({error}): reinstall with `pip install -e .`") from None
    return daemon


def _start_sandbox(args: argparse.Namespace):
    daemon = _sandbox()
    try:
        status = daemon.start(time_scale=getattr(args, "time_scale", 1.0), nodes=getattr(args, "nodes", 3),
                              runtime=getattr(args, "runtime", None))
    except Exception as error:  # the daemon says what went wrong; the user needs that sentence, not a traceback
        raise WorkshopError(f"the sandbox could not be started: {error}") from None
    print(f"sandbox running at {status.url} (pid {status.pid})\n"
          f"  kubeconfig: {status.kubeconfig}\n"
          f"  for a shell: export KUBECONFIG={status.kubeconfig} "
          f"KUBECACHEDIR={discovery_cache(status.kubeconfig)}\n"
          f"  log:        {status.log_path}")
    return status


def _env_for(args: argparse.Namespace, *, terminal: bool = False) -> dict[str, str]:
    """Resolve the cluster of args (starting the sandbox when it is the choice) and export it for the helpers;
    with `terminal`, also what a shell's kubectl needs (helpers.lab.terminal_environment)."""
    choice = cluster_choice(args)
    kubeconfig = _start_sandbox(args).kubeconfig if choice == "sandbox" else None
    env = environment(choice, kubeconfig=kubeconfig, context=getattr(args, "context", None),
                      learner=getattr(args, "learner", None), time_scale=getattr(args, "time_scale", 1.0))
    if terminal:
        context = {"sandbox": SANDBOX_CONTEXT, "kind": KIND_CONTEXT}.get(choice) or args.context
        source = str(kubeconfig) if kubeconfig else default_kubeconfig()
        learner = getattr(args, "learner", None) or context_learner(source, context)
        env.update(lab.terminal_environment(context, namespace_for(learner), source))
    os.environ.update(env)
    return env


# Commands.

def cmd_up(args: argparse.Namespace) -> int:
    if not args.kind:
        _start_sandbox(args)
        return 0
    cluster = kind.cluster_exists(kind.query(kind.get_clusters()))
    host = kind.this_host()
    lb = kind.lb_state(kind.query(kind.inspect_running()), host.port_mapping)
    steps = kind.up_plan(cluster_exists=cluster, lb_state=lb, build=not args.skip_build,
                         load_balancer=not args.no_load_balancer, port_mapping=host.port_mapping)
    if cluster:
        print(f"kind cluster '{kind.CLUSTER}' exists: keeping it (workshop down --kind deletes it)")
    kind.run_plan(steps, dry_run=args.dry_run)
    print(("\n(dry run: nothing was executed)\n" if args.dry_run else f"\nkind cluster ready: context {kind.CONTEXT}\n")
          + kind.load_balancer_note(not args.no_load_balancer, host)
          + "\nNext: workshop lab --kind")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    if not args.kind:
        stopped = _sandbox().stop()
        print("sandbox stopped" if stopped else "the sandbox was not running")
        if kind.cluster_exists(kind.query(kind.get_clusters())):
            print(f"(kind cluster '{kind.CLUSTER}' still exists: `workshop down --kind` deletes it)")
        return 0
    steps = kind.down_plan(cluster_exists=kind.cluster_exists(kind.query(kind.get_clusters())),
                           lb_state=kind.lb_state(kind.query(kind.inspect_running())),
                           load_balancers=bool((kind.query(kind.list_load_balancers()) or "").split()))
    if not steps:
        print(f"nothing to do: no kind cluster '{kind.CLUSTER}' and no cloud-provider-kind container")
    kind.run_plan(steps, dry_run=args.dry_run)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    checks = preflight.gather(kind_path=args.kind)
    print(preflight.report(checks))
    return 0 if preflight.passed(checks) else 1


def cmd_sandbox(args: argparse.Namespace) -> int:
    daemon = _sandbox()
    if args.action == "start":
        _start_sandbox(args)
    elif args.action == "stop":
        print("sandbox stopped" if daemon.stop() else "the sandbox was not running")
    else:
        status = daemon.status()
        if status is None:
            print("the sandbox is not running (workshop sandbox start)")
            return 1
        print(f"sandbox running at {status.url} (pid {status.pid})\n  kubeconfig: {status.kubeconfig}\n"
              f"  log:        {status.log_path}")
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    env = _env_for(args, terminal=True)
    lab.install_overrides()  # JupyterLab's news prompt off (helpers/jupyter/overrides.json)
    lab.trust_notebooks(NOTEBOOKS)  # their stored pictures show before a cell runs
    command = lab_command(port=args.port, browser=not args.no_browser) + lab.server_arguments()
    shown = {k: v for k, v in env.items() if k not in ("PATH", lab.KUBECONFIG_ENV)}
    print(f"JupyterLab on {NOTEBOOKS} with " + " ".join(f"{k}={v}" for k, v in sorted(shown.items())))
    print("$ " + " ".join(command))
    try:
        return subprocess.call(command, env={**os.environ, **env}, cwd=NOTEBOOKS)
    except KeyboardInterrupt:
        return 130


def cmd_env(args: argparse.Namespace) -> int:
    """Print `export` lines for a shell: eval "$(workshop env)" (binder/start does, before JupyterLab starts)."""
    import contextlib
    import shlex

    with contextlib.redirect_stdout(sys.stderr):  # what starting the sandbox says is not for the shell to run
        env = _env_for(args, terminal=True)
    for key, value in sorted(env.items()):
        print(f"export {key}={shlex.quote(value)}")
    return 0


def cmd_jupyter_config(args: argparse.Namespace) -> int:
    """Install the workshop's JupyterLab settings into this Python environment, for images whose Jupyter server
    the platform starts (binder/postBuild; a JupyterHub single-user image)."""
    print(f"JupyterLab settings override: {lab.install_overrides()}")
    print(f"trusted: {len(lab.trust_notebooks(NOTEBOOKS))} notebooks in {NOTEBOOKS}")
    server = lab.install_server_config(args.prefix)
    print(f"terminal shell: {server}" if server else "no bash found: the terminal keeps Jupyter's default shell")
    return 0


def _chapters():
    try:
        from helpers import chapters
    except ImportError as error:
        raise WorkshopError(f"helpers.chapters is not available ({error})") from None
    return chapters


def _checks():
    try:
        from helpers import checks
    except ImportError as error:
        raise WorkshopError(f"helpers.checks is not available ({error})") from None
    return checks


def cmd_reset(args: argparse.Namespace) -> int:
    _env_for(args)
    chapters = _chapters()
    if args.to is None:
        chapters.reset()
        print("reset: the workshop's objects are gone")
    elif "to" in inspect.signature(chapters.reset).parameters:
        chapters.reset(to=args.to)
    else:
        chapters.reset()
        chapters.ensure_chapter(args.to)
    if args.to is not None:
        print(f"ready for chapter {args.to:02d}")
    return 0


def format_progress(progress: dict) -> str:
    """A table: one row per namespace, one column per chapter (PASS/-)."""
    if not progress:
        return "no learner namespaces found"
    rows = {ns: result if isinstance(result, dict) else {"result": result} for ns, result in progress.items()}
    columns = sorted({key for result in rows.values() for key in result}, key=str)
    width = max(len(ns) for ns in rows)
    cell = lambda v: "PASS" if v is True else "-" if v is False or v is None else str(v)
    lines = [f"{'namespace':<{width}}  " + "  ".join(f"{str(c):>4}" for c in columns)]
    lines += [f"{ns:<{width}}  " + "  ".join(f"{cell(result.get(c)):>4}" for c in columns)
              for ns, result in sorted(rows.items())]
    return "\n".join(lines)


def cmd_progress(args: argparse.Namespace) -> int:
    _env_for(args)
    namespaces = list(args.namespace or []) + [namespace_for(n) for n in args.learners or []]
    checks = _checks()
    # Without names the helpers report every workshop namespace they find on the cluster.
    print(format_progress(checks.progress(namespaces) if namespaces else checks.progress()))
    return 0


LEARNERS_HELP = (
    "For one shared cluster: `create` gives each learner a namespace containo-<name>, a ServiceAccount, a Role and "
    "RoleBinding for what the chapters do in that namespace, a ClusterRole and binding that read nodes and "
    "namespaces and may label only the learner's own namespace, and <out>/<name>.kubeconfig (a token valid for "
    "--duration, context workshop-<name> in that namespace). Run it again to renew the tokens. `delete` removes a "
    "learner's namespace (with the account and so its tokens) and cluster role. The confinement to one namespace "
    "is enforced only by a cluster that enforces RBAC (kind and managed clusters do); the sandbox allows every "
    "request, so on it the objects and kubeconfigs can be tried but not the confinement. Use an instructor "
    "(cluster-admin) context: --context NAME or --kind.")


def cmd_learners(args: argparse.Namespace) -> int:
    from . import learners
    from .cluster import connect

    _env_for(args)
    conn = connect()
    if args.action == "list":
        rows = learners.listed(conn)
        print("\n".join(f"{name:<20} {namespace:<28} {phase}" for name, namespace, phase in rows)
              if rows else f"no learner namespaces (label {learners.LEARNER_LABEL}) on context {conn.context}")
        return 0
    if not args.names:
        raise WorkshopError(f"name at least one learner: workshop learners {args.action} alice bob ...")
    if args.action == "delete":
        for removed in learners.delete(conn, args.names):
            print(f"{removed} deleted")
        return 0
    issued = learners.create(conn, args.names, Path(args.out), duration=learners.parse_duration(args.duration),
                             server=args.server)
    for one in issued:
        print(f"{one.learner}: namespace {one.namespace}, kubeconfig {one.kubeconfig} (token valid until "
              f"{one.expires})")
    print(f"\nEach learner: KUBECONFIG=<their file> workshop lab --context workshop-<name>   (context {conn.context} "
          "was used to create them)")
    if conn.cluster == "sandbox":
        print("Note: the sandbox allows every request; the learners are confined to their namespaces only on a "
              "cluster that enforces RBAC (kind does).")
    return 0


# Arguments.

def _cluster_flags(parser: argparse.ArgumentParser, *, learner: bool = True) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--kind", action="store_true", help=f"use the kind cluster (context {kind.CONTEXT})")
    group.add_argument("--context", metavar="NAME", help="use this kubeconfig context (a shared workshop cluster)")
    if learner:
        parser.add_argument("--learner", metavar="NAME", help="work in the namespace containo-NAME")
    _sandbox_flags(parser)


def _sandbox_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--time-scale", type=float, default=1.0, metavar="X",
                        help="sandbox only: simulated seconds per real second (default 1)")
    parser.add_argument("--nodes", type=int, default=3, metavar="N", help="sandbox only: number of nodes (default 3)")
    parser.add_argument("--runtime", choices=("process", "simulated"), default=None,
                        help="sandbox only: run the containers it knows as local processes (process, the default; "
                             "WORKSHOP_RUNTIME sets it too) or simulate every pod (simulated)")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="workshop", description="Run the containo Kubernetes workshop: a simulated sandbox cluster (default, "
        "no Docker needed) or a real kind cluster.", formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  workshop lab                 start the sandbox and JupyterLab\n"
               "  workshop check --kind        is this machine ready for kind?\n"
               "  workshop up --kind           create the kind cluster with everything installed\n"
               "  workshop reset --to 04       catch up to the start of chapter 04")
    sub = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser("up", help="start the sandbox, or with --kind create the kind cluster",
                        description="Without --kind: start the sandbox. With --kind: create the kind cluster "
                        f"'{kind.CLUSTER}' from manifests/kind/cluster.yaml (kept if it exists), build and load the "
                        "app image, install metrics-server, KEDA and cloud-provider-kind, and wait for them.")
    up.add_argument("--kind", action="store_true", help="create the kind cluster instead of starting the sandbox")
    up.add_argument("--dry-run", action="store_true", help="print the commands without running them")
    up.add_argument("--skip-build", action="store_true", help=f"do not rebuild the app image {kind.IMAGE}")
    up.add_argument("--no-load-balancer", action="store_true",
                    help="do not start cloud-provider-kind (reach the API with kubectl port-forward instead)")
    _sandbox_flags(up)
    up.set_defaults(func=cmd_up)

    down = sub.add_parser("down", help="stop the sandbox, or with --kind delete the kind cluster")
    down.add_argument("--kind", action="store_true", help=f"stop cloud-provider-kind (it removes its load "
                      f"balancers), remove its container and delete the kind cluster '{kind.CLUSTER}'")
    down.add_argument("--dry-run", action="store_true", help="print the commands without running them")
    down.set_defaults(func=cmd_down)

    check = sub.add_parser("check", help="preflight: is this machine ready? (each failure says how to fix it)")
    check.add_argument("--kind", action="store_true", help="also check Docker, kind, memory, inotify limits and, "
                       "if the cluster exists, metrics-server, KEDA and the load balancer")
    check.set_defaults(func=cmd_check)

    sandbox = sub.add_parser("sandbox", help="start, stop or show the simulated cluster")
    sandbox.add_argument("action", choices=["start", "stop", "status"])
    _sandbox_flags(sandbox)
    sandbox.set_defaults(func=cmd_sandbox)

    lab = sub.add_parser("lab", help="JupyterLab on notebooks/, pointed at the sandbox (default) or --kind",
                         description="Start the sandbox (unless --kind or --context) and JupyterLab on notebooks/ "
                         "with WORKSHOP_CLUSTER (and KUBECONFIG, WORKSHOP_CONTEXT, WORKSHOP_LEARNER) set for the "
                         "helpers. Its terminal opens with KUBECONFIG naming the workshop's context and namespace "
                         "and the project's kubectl first on PATH; JupyterLab's news prompt is off.")
    _cluster_flags(lab)
    lab.add_argument("--port", type=int, help="JupyterLab's port")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.set_defaults(func=cmd_lab)

    env = sub.add_parser("env", help="print `export` lines pointing a shell's kubectl at the workshop's cluster",
                         description="Start the sandbox (unless --kind or --context) and print the variables "
                         "`workshop lab` gives JupyterLab and its terminal: KUBECONFIG (a file with the workshop's "
                         "context and namespace, then the cluster's kubeconfig), PATH with the project's kubectl "
                         'first, WORKSHOP_CLUSTER... Use: eval "$(workshop env)".')
    _cluster_flags(env)
    env.set_defaults(func=cmd_env)

    config = sub.add_parser("jupyter-config", help="install the workshop's JupyterLab settings into this environment "
                            "(news off, the terminal's shell): for Binder and JupyterHub images")
    config.add_argument("--prefix", help="the environment's prefix (default: this Python's sys.prefix)")
    config.set_defaults(func=cmd_jupyter_config)

    people = sub.add_parser("learners", help="instructors: a namespace, account, role and kubeconfig per learner on "
                            "one shared cluster", description=LEARNERS_HELP)
    people.add_argument("action", choices=["create", "delete", "list"])
    people.add_argument("names", nargs="*", metavar="NAME", help="learner names (lowercase letters, digits, '-')")
    people.add_argument("--out", default="learners", metavar="DIR", help="where the kubeconfigs go (default learners/)")
    people.add_argument("--duration", default="12h", help="how long the tokens last (default 12h: the workshop's day; "
                        "a cluster may cap it: the printed expiry is what it granted)")
    people.add_argument("--server", metavar="URL", help="the API server address learners use, when it differs from "
                        "the one in your kubeconfig")
    _cluster_flags(people, learner=False)
    people.set_defaults(func=cmd_learners)

    reset = sub.add_parser("reset", help="remove the workshop's objects, or bring the cluster to a chapter's start")
    reset.add_argument("--to", type=int, metavar="NN", help="the chapter to catch up to (e.g. 04)")
    _cluster_flags(reset)
    reset.set_defaults(func=cmd_reset)

    progress = sub.add_parser("progress", help="instructors: which chapters' checkpoints pass, per learner")
    _cluster_flags(progress, learner=False)
    progress.add_argument("--learner", dest="learners", action="append", metavar="NAME",
                          help="a learner (namespace containo-NAME); repeat for several (default: all found)")
    progress.add_argument("--namespace", action="append", metavar="NS", help="a namespace; repeat for several")
    progress.set_defaults(func=cmd_progress)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except WorkshopError as error:
        print(f"workshop {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
