"""Read manifests the way `kubectl apply` does, and place them in the learner's namespace.

A source is a YAML string, a file, a folder of YAML files, or a kustomization folder (rendered by
`kubectl kustomize`). Relative paths are tried from the current folder, then from the workshop's root, so
`apply("manifests/04-cache")` works from the notebooks folder too.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import yaml

from .errors import WorkshopError

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "manifests"
SCENARIO_NAMESPACE = "containo"
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUFFIXES = (".yaml", ".yml", ".json")
APP_IMAGE = "containo-orders:dev"  # what `workshop up --kind` builds and loads into the kind nodes
APP_IMAGE_ENV = "WORKSHOP_IMAGE"  # on a shared cloud cluster: the app image pushed to a registry it can pull from


def looks_like_yaml(source: str) -> bool:
    return "\n" in source or source.lstrip().startswith(("apiVersion", "kind:", "---", "{"))


def resolve(path: str | Path) -> Path:
    candidate = Path(path).expanduser()
    if candidate.exists():
        return candidate
    if not candidate.is_absolute() and (ROOT / candidate).exists():
        return ROOT / candidate
    raise WorkshopError(f'the path "{path}" does not exist')


def parse(text: str, origin: str = "<string>") -> list[dict]:
    """The objects in a YAML stream; `kind: List` is unpacked, empty documents are skipped."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise WorkshopError(f"error parsing {origin}{where}: {problem}") from None
    objects: list[dict] = []
    for index, doc in enumerate(documents, 1):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise WorkshopError(f"error parsing {origin}: document {index} is not a Kubernetes object")
        if doc.get("kind") == "List" or (doc.get("kind", "").endswith("List") and "items" in doc):
            objects.extend(doc.get("items") or [])
            continue
        missing = [key for key in ("apiVersion", "kind") if not doc.get(key)]
        if missing:
            raise WorkshopError(f"error validating {origin}: document {index}: "
                                f"{' and '.join(missing)} not set")
        objects.append(doc)
    return objects


_RENDERED: dict[tuple, str] = {}  # the workshop's own folders, rendered: (folder, files' stamp) -> YAML


def _stamp() -> tuple:
    """The workshop's manifests as they are now (names, sizes, modification times): a rendering stays valid until
    one of them changes. Components and bases are under manifests/ too."""
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in sorted(MANIFESTS.rglob("*")) if f.is_file())


def kustomize(folder: Path) -> str:
    """`kubectl kustomize folder`. The workshop's own folders (under manifests/) are rendered once per change of
    their files: every ensure_chapter() and checkpoint reads them all, and each rendering is a kubectl process."""
    from .kubectl import find_kubectl, run

    own = Path(folder).resolve().is_relative_to(MANIFESTS.resolve())
    key = (str(Path(folder).resolve()), _stamp()) if own else None
    if key in _RENDERED:
        return _RENDERED[key]
    done = run([find_kubectl(), "kustomize", str(folder)])
    if done.returncode != 0:
        raise WorkshopError(f"kubectl kustomize {folder} failed:\n{done.stderr.strip()}")
    if key:
        _RENDERED[key] = done.stdout
    return done.stdout


def is_kustomization(folder: Path) -> bool:
    return any((folder / name).exists() for name in KUSTOMIZATIONS)


def load(source: str | Path) -> list[dict]:
    """The objects a source holds, in order (a folder's files in name order, as `kubectl apply -f` reads them)."""
    if isinstance(source, str) and looks_like_yaml(source):
        return parse(source)
    path = resolve(source)
    if path.is_dir():
        if is_kustomization(path):
            return parse(kustomize(path), str(path))
        files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.name not in KUSTOMIZATIONS)
        return [obj for f in files for obj in parse(f.read_text(), str(f))]
    return parse(path.read_text(), str(path))


# --- chapters ---------------------------------------------------------------------------------------------------

def chapter_folders(root: Path = MANIFESTS) -> dict[int, list[Path]]:
    """Chapter number -> its manifest folders (`05-expose` and `05-queue` both belong to chapter 5)."""
    chapters: dict[int, list[Path]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        match = re.match(r"^(\d+)-", folder.name)
        if match:
            chapters.setdefault(int(match.group(1)), []).append(folder)
    return chapters


def chapter_objects(chapter: int, root: Path = MANIFESTS) -> list[dict]:
    return [obj for folder in chapter_folders(root).get(chapter, []) for obj in load(folder)]


# --- namespaces -------------------------------------------------------------------------------------------------

_DNS_NAMESPACE = re.compile(rf"(?<=[a-z0-9]\.){SCENARIO_NAMESPACE}(?=\.svc\b|:\d|/|$)")


def _rewrite_strings(value, namespace: str):
    """`redis.containo.svc.cluster.local` -> `redis.<namespace>.svc...`: DNS names that spell the namespace."""
    if isinstance(value, str):
        return _DNS_NAMESPACE.sub(namespace, value)
    if isinstance(value, list):
        return [_rewrite_strings(v, namespace) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite_strings(v, namespace) for k, v in value.items()}
    return value


def localize(obj: dict, namespace: str, namespaced: Callable[[dict], bool]) -> dict:
    """A copy of `obj` placed in `namespace`: namespaced objects without a namespace or in the scenario's
    `containo` go to `namespace`; the `containo` Namespace itself becomes `namespace`; cluster-scoped objects
    lose any namespace. Other namespaces are kept: the manifest named them on purpose."""
    obj = dict(obj)
    meta = dict(obj.get("metadata") or {})
    if obj.get("kind") == "Namespace" and obj.get("apiVersion") == "v1":
        if meta.get("name") == SCENARIO_NAMESPACE:
            meta["name"] = namespace
        meta.pop("namespace", None)
    elif namespaced(obj):
        if meta.get("namespace") in (None, "", SCENARIO_NAMESPACE):
            meta["namespace"] = namespace
    else:
        meta.pop("namespace", None)
    obj["metadata"] = meta
    if namespace != SCENARIO_NAMESPACE and "spec" in obj:
        obj["spec"] = _rewrite_strings(obj["spec"], namespace)
    image = os.environ.get(APP_IMAGE_ENV)
    if image and "spec" in obj:
        obj["spec"] = _replace_app_image(obj["spec"], image)
    return obj


def app_image() -> str:
    """The image that runs the app's code on this cluster: WORKSHOP_IMAGE when set, else the one kind loads."""
    return os.environ.get(APP_IMAGE_ENV) or APP_IMAGE


def _replace_app_image(value, image: str):
    """Every container running the app image (`containo-orders:<tag>`) runs `image` instead: only kind's nodes have
    the locally built one, so a named cluster pulls it from a registry (set WORKSHOP_IMAGE)."""
    if isinstance(value, dict):
        if isinstance(value.get("image"), str) and value["image"].split(":")[0] == APP_IMAGE.split(":")[0]:
            return {**value, "image": image}
        return {k: _replace_app_image(v, image) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_app_image(v, image) for v in value]
    return value
