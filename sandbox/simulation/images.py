"""Container images as the simulated kubelet sees them: the fully qualified reference containerd reports, a
stable digest, a plausible size (pull time follows from it), whether kind already holds the image, and which
images can never be pulled (so a learner can practise `kubectl rollout undo` after a typo in a tag)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

DEFAULT_REGISTRY = "docker.io"

# Approximate compressed sizes in bytes of images the workshop uses (and a few learners often try).
SIZES = {
    "docker.io/library/nginx": 72_000_000,
    "docker.io/library/redis": 45_000_000,
    "docker.io/library/busybox": 2_200_000,
    "docker.io/library/alpine": 3_600_000,
    "docker.io/library/python": 52_000_000,
    "docker.io/library/httpd": 58_000_000,
    "registry.k8s.io/pause": 320_000,
}
ALPINE_SIZE = 17_000_000  # *-alpine variants are small whatever the base
DEFAULT_SIZE = 30_000_000

# Images `workshop up --kind` builds and loads into every node (`kind load docker-image`): never pulled.
PRELOADED_PREFIXES = ("docker.io/library/containo-",)

# A tag or name carrying one of these markers does not exist in any registry: the pull fails (ErrImagePull).
UNPULLABLE_MARKERS = ("doesnotexist", "does-not-exist", "nonexistent", "no-such-tag")


@dataclass(frozen=True)
class Image:
    spec: str  # as written in the pod spec
    reference: str  # docker.io/library/nginx:1.27 (what containerStatuses[].image shows once running)
    repository: str  # docker.io/library/nginx
    tag: str

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.reference.encode()).hexdigest()

    @property
    def image_id(self) -> str:
        """containerStatuses[].imageID: repository@digest."""
        return f"{self.repository}@{self.digest}"

    @property
    def size(self) -> int:
        if "alpine" in self.tag:
            return ALPINE_SIZE
        return SIZES.get(self.repository, DEFAULT_SIZE)

    @property
    def preloaded(self) -> bool:
        return self.repository.startswith(PRELOADED_PREFIXES)

    @property
    def pullable(self) -> bool:
        lowered = self.spec.lower()
        return not any(marker in lowered for marker in UNPULLABLE_MARKERS)

    def pull_error(self) -> str:
        """containerd's wording for a reference that does not resolve."""
        return (f'rpc error: code = NotFound desc = failed to pull and unpack image "{self.reference}": '
                f'failed to resolve reference "{self.reference}": {self.reference}: not found')


def parse(spec: str) -> Image:
    """Normalize an image reference the way containerd does: default registry, `library/` for official
    images, tag `latest` when none is given (a digest reference keeps its digest as the tag part)."""
    name, tag = spec, "latest"
    if "@" in name:
        name, tag = name.split("@", 1)
    elif ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    first, _, rest = name.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        name = f"{DEFAULT_REGISTRY}/{name}" if rest else f"{DEFAULT_REGISTRY}/library/{name}"
    separator = "@" if tag.startswith("sha256:") else ":"
    return Image(spec, f"{name}{separator}{tag}", name, tag)


def pull_policy(container: dict) -> str:
    """imagePullPolicy as the apiserver defaults it: Always for `:latest` or no tag, else IfNotPresent."""
    policy = container.get("imagePullPolicy")
    if policy:
        return policy
    image = parse(container.get("image") or "")
    return "Always" if image.tag == "latest" else "IfNotPresent"
