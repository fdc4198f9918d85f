"""Field selectors (`?fieldSelector=status.phase=Running,spec.nodeName!=x`) as k8s.io/apimachinery/pkg/fields
parses them; each kind's registration (sandbox/registry/kinds/) lists the field labels it accepts (its field label
conversion func)."""
from __future__ import annotations

from dataclasses import dataclass

from . import errors

METADATA = ("metadata.name", "metadata.namespace")  # every kind's, namespaces' aside (no metadata.namespace)


def labels(*own: str) -> tuple[str, ...]:
    """The field labels of a kind: metadata.name and metadata.namespace, then its own (its registration's)."""
    return METADATA + own


# Field labels whose value is not found at the same dotted path.
_VALUE_PATHS = {"source": ("source", "component"), "status.podIPs": ("status", "podIP"),
                "status.successful": ("status", "succeeded")}  # a Job's count of succeeded pods
_DEFAULT_VALUES = {"spec.unschedulable": "false", "spec.hostNetwork": "false", "status.successful": "0"}


@dataclass(frozen=True)
class Term:
    field: str
    value: str
    negated: bool = False

    def matches(self, obj: dict) -> bool:
        return (field_value(obj, self.field) == self.value) != self.negated

    def __str__(self) -> str:
        return f"{self.field}{'!=' if self.negated else '='}{_escape(self.value)}"


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[Term, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms

    def matches(self, obj) -> bool:
        return isinstance(obj, dict) and all(t.matches(obj) for t in self.terms)

    def requires(self, field: str) -> str | None:
        """The value an exact `field=value` term demands (lets callers narrow a list cheaply)."""
        for t in self.terms:
            if t.field == field and not t.negated:
                return t.value
        return None

    def __str__(self) -> str:
        return ",".join(str(t) for t in self.terms)


def field_value(obj: dict, label: str) -> str:
    """The string a field label selects on (bools as "true"/"false", numbers in decimal, absent as "")."""
    node = obj
    for part in _VALUE_PATHS.get(label, label.split(".")):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        return _DEFAULT_VALUES.get(label, "")
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def parse(text, allowed: tuple[str, ...]) -> FieldSelector:
    """The `fieldSelector` query parameter, for a kind whose field labels are `allowed`; 400 BadRequest when it
    cannot be used."""
    if text is None or text == "":
        return FieldSelector()
    if not isinstance(text, str):
        raise errors.bad_request(f"invalid field selector: {text!r}")
    terms = []
    for part in sorted(_split_terms(text)):
        if part == "":
            continue
        split = _split_term(part)
        if split is None:
            raise errors.bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        value = _unescape(rhs)
        if lhs not in allowed:
            raise errors.bad_request(f"field label not supported: {lhs}")
        terms.append(Term(lhs, value, op == "!="))
    return FieldSelector(tuple(terms))


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not escaped with a backslash."""
    terms, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == ",":
            terms.append("".join(current))
            current = []
        else:
            current.append(ch)
    terms.append("".join(current))
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    for i in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
    return None


def _unescape(value: str) -> str:
    if "\\" not in value and "=" not in value and "," not in value:
        return value
    out, escaped = [], False
    for ch in value:
        if escaped:
            if ch not in "\\,=":
                raise errors.bad_request(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            raise errors.bad_request(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if escaped:
        raise errors.bad_request("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")
