import re

import pytest

from sandbox.machinery import quantity


@pytest.mark.parametrize("text,millicores", [("250m", 250), ("0.5", 500), ("1", 1000), (2, 2000), ("1.0001", 1001),
                                             ("1e3", 1000000), ("100u", 1)])
def test_parse_cpu(text, millicores):
    assert quantity.parse_cpu(text) == millicores


@pytest.mark.parametrize("text,num_bytes", [("128Mi", 134217728), ("1G", 10**9), ("1Ki", 1024), ("500m", 1),
                                            ("1.5Gi", 1610612736)])
def test_parse_memory(text, num_bytes):
    assert quantity.parse_memory(text) == num_bytes


@pytest.mark.parametrize("text,canonical", [("0.5", "500m"), ("1000m", "1"), ("1024Mi", "1Gi"), ("1536Mi", "1536Mi"),
                                            ("1500000", "1500k"), ("129e6", "129e6"), ("0.1", "100m"), ("0", "0"),
                                            ("512", "512"), ("0.5Ki", "512")])
def test_canonical_form(text, canonical):
    assert quantity.canonical(text) == canonical


@pytest.mark.parametrize("text,message", [("abc", quantity.FORMAT_ERROR), ("", quantity.FORMAT_ERROR),
                                          ("1.2.3", quantity.SUFFIX_ERROR), (True, quantity.FORMAT_ERROR),
                                          ("5Zi", quantity.FORMAT_ERROR)])
def test_malformed(text, message):
    with pytest.raises(quantity.QuantityError, match="^" + re.escape(message) + "$"):
        quantity.parse(text)


def test_formatting_for_metrics():
    assert quantity.format_cpu(2000) == "2"
    assert quantity.format_cpu(15) == "15m"
    assert quantity.format_memory(134217728) == "128Mi"
    assert quantity.format_memory(1000) == "1Ki"
