"""Container images as the simulated kubelet sees them: the fully qualified reference containerd reports, a
stable digest, a plausible size (pull time follows from it), whether kind already holds the image, and which
images can never be pulled (so a learner can practise `kubectl rollout undo` after a typo in a tag).

Two kinds of reference never pull, each with containerd's own words:
    a tag a public repository does not have      nginx:1.27-doesnotexist  ... nginx:1.27-doesnotexist: not found
    an image built on this machine and loaded    containo-orders:v2       ... pull access denied, repository does
    into the nodes (kind load), under a tag                                  not exist or may require authorization
    that was never loaded, or with pull policy
    Always: no registry has its repository
The second is what a kind cluster answers after `workshop up --kind`, which builds and loads containo-orders:dev
only."""
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

# Repositories that exist only on the machine that built them (app/Dockerfile): no registry holds them, so a node
# has what `kind load docker-image` put there and nothing else. Pulling any of their references fails.
LOCAL_ONLY_PREFIXES = ("docker.io/library/containo-",)
# What `workshop up --kind` builds and loads into every node (helpers.manifests.APP_IMAGE): there from the start.
LOADED_REFERENCES = frozenset({"docker.io/library/containo-orders:dev"})

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
    def local_only(self) -> bool:
        """Built on this machine and never pushed: only `kind load` puts it on a node."""
        return self.repository.startswith(LOCAL_ONLY_PREFIXES)

    @property
    def preloaded(self) -> bool:
        """On every node from the start, as `kind load docker-image` leaves it."""
        return self.reference in LOADED_REFERENCES

    @property
    def pullable(self) -> bool:
        """Whether a registry has it: not a local-only image, and no marker of a tag that does not exist."""
        lowered = self.spec.lower()
        return not self.local_only and not any(marker in lowered for marker in UNPULLABLE_MARKERS)

    def pull_error(self) -> str:
        """containerd's wording for a reference that does not resolve: the registry has no such repository (a
        local-only image: Docker Hub answers as for a private one), or the repository has no such tag."""
        if self.local_only:
            return (f'rpc error: code = Unknown desc = failed to pull and unpack image "{self.reference}": '
                    f'failed to resolve reference "{self.reference}": pull access denied, repository does not exist '
                    f'or may require authorization: server message: insufficient_scope: authorization failed')
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
