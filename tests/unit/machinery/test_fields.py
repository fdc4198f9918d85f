import pytest

from sandbox.machinery import errors, fields, resources

PODS = resources.by_kind("v1", "Pod")
EVENTS = resources.by_kind("v1", "Event")
DEPLOYMENTS = resources.by_kind("apps/v1", "Deployment")
POD = {"metadata": {"name": "p", "namespace": "ns"}, "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}}


def test_pod_field_selectors():
    assert fields.parse("status.phase=Running,spec.nodeName!=n2", PODS).matches(POD)
    assert not fields.parse("spec.nodeName==n2", PODS).matches(POD)
    assert fields.parse("metadata.name=p", PODS).requires("metadata.name") == "p"
    assert fields.parse("", PODS).empty


def test_event_involved_object_and_source():
    event = {"involvedObject": {"kind": "Pod", "name": "p"}, "source": {"component": "kubelet"}}
    assert fields.parse("involvedObject.kind=Pod,involvedObject.name=p,source=kubelet", EVENTS).matches(event)


@pytest.mark.parametrize("text,rt,message", [
    ("status.phase=Running", DEPLOYMENTS, "field label not supported: status.phase"),
    ("nonsense", PODS, "invalid selector: 'nonsense'; can't understand 'nonsense'"),
    ("metadata.name=a=b", PODS, "invalid field selector: unescaped character in value: 61"),
])
def test_bad_field_selectors(text, rt, message):
    with pytest.raises(errors.StatusError) as caught:
        fields.parse(text, rt)
    assert (caught.value.code, caught.value.message) == (400, message)


def test_escaped_values():
    selector = fields.parse(r"metadata.name=a\,b", PODS)
    assert selector.matches({"metadata": {"name": "a,b"}})
