"""Every served kind is registered once, with every piece (sandbox/registry/kind.py); a missing piece is named."""
import pytest

from sandbox.machinery import fields, resources
from sandbox.machinery.resources import ResourceType
from sandbox.printers import Printer
from sandbox.registry import kinds
from sandbox.registry.kind import REQUIRED, Kind
from sandbox.registry.strategy import Strategy


def test_every_served_kind_is_registered_with_every_piece():
    assert kinds.problems() == []


def test_each_type_belongs_to_one_registration_and_the_pieces_agree_with_it():
    seen = {}
    for kind in kinds.KINDS:
        for rt in kind.types:
            assert rt.storage_key not in seen or seen[rt.storage_key] is kind, f"{rt.storage_key} registered twice"
            seen[rt.storage_key] = kind
            assert kind.scale == ("scale" in rt.subresources), f"{kind.name}: scale piece and /scale disagree"
            assert isinstance(kind.printer_for(rt), Printer)
            assert "metadata.name" in kind.field_labels
    assert set(seen) == {rt.storage_key for rt in resources.RESOURCES}


def test_a_registration_that_leaves_a_piece_out_is_named():
    rt = ResourceType("example.com", "v1", "Widget", "widgets", True)
    partial = Kind(types=(rt,), strategy=Strategy(), defaults=None, validate=None, field_labels=fields.labels(),
                   scale=False, storage=None)
    assert partial.missing() == ["printer"]
    assert Kind().missing() == list(REQUIRED)


@pytest.mark.parametrize("rt", resources.served(), ids=lambda rt: f"{rt.api_version}/{rt.plural}")
def test_lookups_use_the_storage_key(rt):
    assert kinds.of(rt) is kinds.of(ResourceType(rt.group, "vX", rt.kind, rt.plural, rt.namespaced))
