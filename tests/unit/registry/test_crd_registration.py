"""A CRD registers its kind at run time: served once its names are accepted, its custom resources decoded, pruned,
defaulted and validated by the same Registry paths as built-in kinds, refused while it terminates, forgotten once
it goes. The KEDA CRDs serve without being stored (KEDA is installed)."""
import copy

import pytest

from sandbox.machinery import errors, keda_crds, resources
from sandbox.registry import kinds
from tests.unit.registry.kinds import rt

CRDS = rt("customresourcedefinitions", "apiextensions.k8s.io")
GROUP = "unit.example.com"


def widget_crd() -> dict:
    crd = keda_crds.crds()[2]  # TriggerAuthentication's shape, renamed
    crd["metadata"] = {"name": f"widgets.{GROUP}"}
    crd["spec"].update(group=GROUP, names={"kind": "Widget", "plural": "widgets", "singular": "widget",
                                           "listKind": "WidgetList", "shortNames": ["wd"]})
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    schema["properties"]["spec"] = {"type": "object", "properties": {
        "size": {"type": "integer", "default": 3, "maximum": 5}}}
    return crd


@pytest.fixture
def served(registry):
    """The Registry with the widget CRD stored and its names accepted; the CRD gone afterwards."""
    registry.create(CRDS, None, widget_crd())
    stored = registry.get(CRDS, None, f"widgets.{GROUP}")
    assert resources.lookup(GROUP, "v1alpha1", "widgets") is None  # not before NamesAccepted
    stored["status"]["conditions"] = [{"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                                       "message": "no conflicts found", "lastTransitionTime": "2026-01-01T00:00:00Z"}]
    registry.update(CRDS, None, stored["metadata"]["name"], stored, subresource="status")
    yield registry
    resources.stop_serving_custom(f"widgets.{GROUP}")


def test_keda_is_served_without_a_stored_crd():
    scaled_objects = resources.lookup("keda.sh", "v1alpha1", "scaledobjects")
    assert scaled_objects.custom and scaled_objects.short_names == ("so",)
    assert kinds.of(scaled_objects).printer_for(scaled_objects).columns[1].name == "ScaleTargetKind"


def test_a_crd_is_created_with_its_stored_version(registry):
    created = registry.create(CRDS, None, widget_crd())
    assert created["status"] == {"acceptedNames": {"kind": "", "plural": ""}, "storedVersions": ["v1alpha1"]}
    resources.stop_serving_custom(created["metadata"]["name"])


def test_custom_resources_go_through_the_registry(served):
    widgets = resources.lookup(GROUP, "v1alpha1", "widgets")
    assert widgets is not None and widgets.short_names == ("wd",)
    warnings: list[str] = []
    created = served.create(widgets, "default", {"apiVersion": f"{GROUP}/v1alpha1", "kind": "Widget",
                                                 "metadata": {"name": "w"}, "spec": {"extra": 1}},
                            field_validation="Warn", warnings=warnings)
    assert created["spec"] == {"size": 3} and warnings == ['unknown field "spec.extra"']
    assert created["metadata"]["generation"] == 1
    with pytest.raises(errors.StatusError) as raised:
        served.patch(widgets, "default", "w", "application/merge-patch+json", {"spec": {"size": 9}})
    assert raised.value.code == 422 and "spec.size in body should be less than or equal to 5" in \
        raised.value.message
    with pytest.raises(errors.StatusError) as raised:
        served.patch(widgets, "default", "w", "application/strategic-merge-patch+json", {"spec": {"size": 4}})
    assert raised.value.code == 415


def test_a_deleted_crd_terminates_then_goes(served):
    widgets = resources.lookup(GROUP, "v1alpha1", "widgets")
    served.create(widgets, "default", {"apiVersion": f"{GROUP}/v1alpha1", "kind": "Widget",
                                       "metadata": {"name": "w"}, "spec": {}})
    terminating = served.delete(CRDS, None, f"widgets.{GROUP}")
    assert terminating["metadata"]["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"]
    assert [c["reason"] for c in terminating["status"]["conditions"] if c["type"] == "Terminating"] == [
        "InstanceDeletionPending"]
    with pytest.raises(errors.StatusError) as raised:
        served.create(widgets, "default", {"apiVersion": f"{GROUP}/v1alpha1", "kind": "Widget",
                                           "metadata": {"name": "x"}, "spec": {}})
    assert (raised.value.code, raised.value.message) == (
        405, "create not allowed while custom resource definition is terminating")
    served.delete(widgets, "default", "w")
    done = copy.deepcopy(served.get(CRDS, None, f"widgets.{GROUP}"))
    done["metadata"]["finalizers"] = []
    served.update(CRDS, None, f"widgets.{GROUP}", done)
    assert not served.exists(CRDS, None, f"widgets.{GROUP}")
    assert resources.lookup(GROUP, "v1alpha1", "widgets") is None and kinds.of(widgets) is None
