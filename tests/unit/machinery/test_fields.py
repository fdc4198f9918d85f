import pytest

from sandbox.machinery import errors, resources
from sandbox.registry import kinds

PODS = resources.by_kind("v1", "Pod")
EVENTS = resources.by_kind("v1", "Event")
DEPLOYMENTS = resources.by_kind("apps/v1", "Deployment")
POD = {"metadata": {"name": "p", "namespace": "ns"}, "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}}


def test_pod_field_selectors():
    assert kinds.field_selector("status.phase=Running,spec.nodeName!=n2", PODS).matches(POD)
    assert not kinds.field_selector("spec.nodeName==n2", PODS).matches(POD)
    assert kinds.field_selector("metadata.name=p", PODS).requires("metadata.name") == "p"
    assert kinds.field_selector("", PODS).empty


def test_event_involved_object_and_source():
    event = {"involvedObject": {"kind": "Pod", "name": "p"}, "source": {"component": "kubelet"}}
    assert kinds.field_selector("involvedObject.kind=Pod,involvedObject.name=p,source=kubelet", EVENTS).matches(event)


@pytest.mark.parametrize("text,rt,message", [
    ("status.phase=Running", DEPLOYMENTS, "field label not supported: status.phase"),
    ("nonsense", PODS, "invalid selector: 'nonsense'; can't understand 'nonsense'"),
    ("metadata.name=a=b", PODS, "invalid field selector: unescaped character in value: 61"),
])
def test_bad_field_selectors(text, rt, message):
    with pytest.raises(errors.StatusError) as caught:
        kinds.field_selector(text, rt)
    assert (caught.value.code, caught.value.message) == (400, message)


def test_escaped_values():
    selector = kinds.field_selector(r"metadata.name=a\,b", PODS)
    assert selector.matches({"metadata": {"name": "a,b"}})
