"""kube-scheduler's VolumeBinding plugin and the PV controller's matching, as pure functions over plain objects:

- PreFilter: every persistentVolumeClaim volume of the pod names a claim that exists and is not being deleted
  (`persistentvolumeclaim "data-web-0" not found`, `... is being deleted`), and an unbound claim of an Immediate
  class waits for the PV controller ("pod has unbound immediate PersistentVolumeClaims"): the pod is unschedulable
  everywhere;
- Filter, per node: a bound claim's volume must accept the node (its nodeAffinity: "node(s) had volume node affinity
  conflict"); an unbound claim of a WaitForFirstConsumer class needs an available volume that fits it on that node,
  or a class with a provisioner ("node(s) didn't find available persistent volumes to bind"), on the node its
  selected-node annotation names once the scheduler chose one;
- the PV controller's findBestMatchForClaim: the smallest available volume of the claim's class with its access
  modes, volume mode, selector and enough capacity (a volume pre-bound to the claim wins)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.controllers.scheduling import matches_node_selector_terms
from sandbox.machinery import labels, quantity
from sandbox.machinery.errors import StatusError

NO_PROVISIONER = "kubernetes.io/no-provisioner"
BETA_CLASS = "volume.beta.kubernetes.io/storage-class"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
NODE_CONFLICT = "node(s) had volume node affinity conflict"
UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
NO_VOLUME = "node(s) didn't find available persistent volumes to bind"


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def claim_names(pod: dict) -> list[str]:
    """The claims a pod's volumes use (persistentVolumeClaim sources; a generic ephemeral volume's claim is
    <pod>-<volume>)."""
    out = []
    for volume in _d(pod.get("spec")).get("volumes") or []:
        source = _d(volume.get("persistentVolumeClaim"))
        if source.get("claimName"):
            out.append(source["claimName"])
        elif isinstance(volume.get("ephemeral"), dict):
            out.append(f"{pod['metadata']['name']}-{volume.get('name', '')}")
    return out


def class_of(obj: dict) -> str:
    """GetPersistentVolume(Claim)Class: the beta annotation, else spec.storageClassName, else ""."""
    annotations = obj["metadata"].get("annotations") or {}
    if BETA_CLASS in annotations:
        return annotations[BETA_CLASS]
    return _d(obj.get("spec")).get("storageClassName") or ""


def delayed(claim: dict, classes: dict[str, dict]) -> bool:
    """IsDelayBindingMode: the claim's class binds on first consumer."""
    found = classes.get(class_of(claim))
    return bool(found) and found.get("volumeBindingMode") == "WaitForFirstConsumer"


def _storage(obj: dict, *path: str) -> int:
    value = obj
    for key in path:
        value = _d(value).get(key)
    try:
        return quantity.parse_memory(value) if value is not None else 0
    except (quantity.QuantityError, TypeError):
        return 0


def bound_to(volume: dict, claim: dict) -> bool:
    """IsVolumeBoundToClaim: the volume's claimRef names the claim (and its uid, when the ref has one)."""
    ref = _d(_d(volume.get("spec")).get("claimRef"))
    meta = claim["metadata"]
    if ref.get("name") != meta["name"] or ref.get("namespace") != meta.get("namespace"):
        return False
    return not ref.get("uid") or ref["uid"] == meta.get("uid")


def node_accepts(volume: dict, node: dict | None) -> bool:
    required = _d(_d(_d(volume.get("spec")).get("nodeAffinity")).get("required"))
    if node is None or not required:
        return True
    return matches_node_selector_terms(required.get("nodeSelectorTerms") or [], node)


def best_match(claim: dict, volumes: list[dict], node: dict | None = None, delay_binding: bool = False) -> dict | None:
    """findBestMatchForClaim / findMatchingVolume: a volume pre-bound to the claim, else the smallest available
    volume that fits. With delayed binding and no node, only a pre-bound volume (the scheduler binds the rest)."""
    spec = _d(claim.get("spec"))
    wanted = _storage(claim, "spec", "resources", "requests", "storage")
    modes = set(spec.get("accessModes") or [])
    mode = spec.get("volumeMode") or "Filesystem"
    try:
        selector = labels.from_label_selector(spec["selector"]) if spec.get("selector") else None
    except StatusError:
        return None
    best = None
    for volume in volumes:
        vspec = _d(volume.get("spec"))
        if volume["metadata"].get("deletionTimestamp"):
            continue
        if (vspec.get("volumeMode") or "Filesystem") != mode:
            continue
        if bound_to(volume, claim):
            return volume
        if vspec.get("claimRef"):
            continue
        if _d(volume.get("status")).get("phase") != "Available":
            continue
        if selector is not None and not selector.matches(volume["metadata"].get("labels") or {}):
            continue
        if class_of(volume) != class_of(claim) or not modes <= set(vspec.get("accessModes") or []):
            continue
        size = _storage(volume, "spec", "capacity", "storage")
        if size < wanted:
            continue
        if node is not None and not node_accepts(volume, node):
            continue
        if node is None and delay_binding:
            continue
        if best is None or size < _storage(best, "spec", "capacity", "storage"):
            best = volume
    return best


@dataclass
class PodVolumes:
    """What PreFilter found: an error for every node, or the pod's claims sorted out."""
    error: str = ""
    bound: list[dict] = field(default_factory=list)  # (claim, its volume or None)
    immediate: list[dict] = field(default_factory=list)  # unbound claims of Immediate classes
    delayed: list[dict] = field(default_factory=list)  # unbound claims of WaitForFirstConsumer classes

    @property
    def empty(self) -> bool:
        return not (self.error or self.bound or self.immediate or self.delayed)


def pre_filter(pod: dict, claims: dict[str, dict], classes: dict[str, dict]) -> PodVolumes:
    """`claims` by name in the pod's namespace."""
    found = PodVolumes()
    for name in claim_names(pod):
        claim = claims.get(name)
        if claim is None:
            return PodVolumes(error=f'persistentvolumeclaim "{name}" not found')
        if claim["metadata"].get("deletionTimestamp"):
            return PodVolumes(error=f'persistentvolumeclaim "{name}" is being deleted')
        if _d(claim.get("spec")).get("volumeName"):
            found.bound.append(claim)
        elif delayed(claim, classes):
            found.delayed.append(claim)
        else:
            found.immediate.append(claim)
    if found.immediate:
        return PodVolumes(error=UNBOUND_IMMEDIATE)
    return found


def filter_node(found: PodVolumes, node: dict, volumes: dict[str, dict], classes: dict[str, dict]) -> str | None:
    """The node's failing reason, or None. `volumes` by name."""
    for claim in found.bound:
        volume = volumes.get(claim["spec"]["volumeName"])
        if volume is not None and not node_accepts(volume, node):
            return NODE_CONFLICT
    for claim in found.delayed:
        selected = (claim["metadata"].get("annotations") or {}).get(SELECTED_NODE)
        if selected and selected != node["metadata"]["name"]:
            return NO_VOLUME
        if best_match(claim, list(volumes.values()), node) is not None:
            continue
        provisioner = (classes.get(class_of(claim)) or {}).get("provisioner")
        if not provisioner or provisioner == NO_PROVISIONER:
            return NO_VOLUME
    return None
