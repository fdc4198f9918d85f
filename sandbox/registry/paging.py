"""List paging (continue tokens shaped as the apiserver's), resourceVersion parameters, and the selector
predicate shared by lists and watches."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Callable

from sandbox.machinery import errors


def matcher(label_sel, field_sel) -> Callable[[dict], bool] | None:
    """One predicate for both selectors, or None when nothing filters (watches then skip parsing)."""
    if label_sel is None and field_sel is None:
        return None

    def matches(obj: dict) -> bool:
        return ((label_sel is None or label_sel.matches(obj.get("metadata", {}).get("labels")))
                and (field_sel is None or field_sel.matches(obj)))
    return matches



def parse_rv(text: str | None) -> int | None:
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise errors.bad_request(f"invalid resource version: {text!r}") from None
    if value < 0:
        raise errors.bad_request(f"invalid resource version: {text!r}")
    return value


def encode_continue(rv: int, last: tuple[str, str]) -> str:
    start = f"{last[0]}/{last[1]}\x00" if last[0] else f"{last[1]}\x00"
    token = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        start = data["start"].rstrip("\x00")
        if data.get("v") != "meta.k8s.io/v1" or not isinstance(data["rv"], int):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError):
        raise errors.bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                                 "(version meta.k8s.io/v1)") from None
    ns, _, name = start.rpartition("/")
    return data["rv"], (ns, name)
