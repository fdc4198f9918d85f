"""The helpers' public surface: what `from helpers import *` gives a notebook, pinned, and the shape of the package
behind it (one error family, no import circle)."""
import ast
import inspect
from pathlib import Path

import helpers
from helpers import errors

HELPERS = Path(helpers.__file__).resolve().parent

PUBLIC = [
    "connect", "current", "disconnect", "apply", "ensure_chapter", "reset", "show", "topology", "kubectl",
    "wait_for_rollout", "wait_for_pods", "wait_for_deleted", "wait_for_endpoints", "wait_for_load_balancer",
    "check_chapter", "check_namespace", "check_deployment", "check_sidecar", "check_cache", "check_exposed",
    "check_scaling", "progress", "WorkshopError",
    "reach_service", "http_request", "wait_for_order",
    "generate_load", "stop_load", "enqueue_orders", "queue_length", "clear_queue", "wait_for_queue",
    "wait_for_autoscaler",
    "watch_scaling", "explain_hpa",
    "wait_for_problem", "wait_for_unready", "check_recovered",
    "check_config",
    "check_setup", "wait_for_metrics", "wait_for_hpa_status",
]


def test_public_names_are_pinned():
    """Adding or removing a name notebooks can use is a decision: change PUBLIC with it."""
    assert helpers.__all__ == PUBLIC


def test_every_public_name_exists_and_says_what_it_does():
    for name in PUBLIC:
        value = getattr(helpers, name)
        assert inspect.getdoc(value), f"helpers.{name} has no docstring (help({name}) in a notebook shows it)"


def test_every_error_class_is_a_workshop_error_drawn_in_the_family():
    drawn = errors.__doc__
    for module in sorted(HELPERS.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                    getattr(b, "id", getattr(b, "attr", "")).endswith(("Error", "Exception")) for b in node.bases):
                assert module.name == "errors.py", f"{module.name}: {node.name} belongs in helpers/errors.py"
    family = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)
              and c.__module__ == errors.__name__]
    for cls in family:
        assert issubclass(cls, errors.WorkshopError), cls
        assert cls.__name__ in drawn, f"{cls.__name__} is missing from the family drawn in helpers/errors.py"


def _imports(path: Path) -> set[str]:
    """The helpers modules `path` imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.level == 1 or (node.module or "").startswith("helpers")):
            module = (node.module or "").removeprefix("helpers").lstrip(".")
            if module:
                found.add(module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("helpers."))
    return {name for name in found if (HELPERS / f"{name}.py").exists()} - {path.stem}


def test_no_import_circle():
    graph = {path.stem: _imports(path) for path in HELPERS.glob("*.py") if path.stem != "__init__"}

    def visit(module: str, trail: tuple[str, ...]) -> None:
        for imported in graph.get(module, ()):
            assert imported not in trail, " -> ".join(trail + (module, imported))
            visit(imported, trail + (module,))

    for module in graph:
        visit(module, ())
