"""Label selectors as k8s.io/apimachinery/pkg/labels parses them: the string syntax of `?labelSelector=`
(`a=b,c!=d,e in (f,g),!h,i>3`) and metav1.LabelSelector (matchLabels + matchExpressions), with the parser's
own error messages so a learner's typo reads as it would against a real cluster."""
from __future__ import annotations

from dataclasses import dataclass

from . import errors, field_errors as fe, names

_SPECIAL = set("=!(),<>")
_WHITESPACE = set(" \t\r\n")
_TOKENS = {")": "ClosedPar", ",": "Comma", "!": "DoesNotExist", "==": "DoubleEquals", "=": "Equals",
           ">": "GreaterThan", "in": "In", "<": "LessThan", "!=": "NotEquals", "notin": "NotIn", "(": "OpenPar"}
_BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt"
_EOS = ("EndOfString", "")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # in notin = == != exists !  gt lt
    values: tuple[str, ...] = ()

    def matches(self, labels: dict) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        op = self.operator
        if op in ("=", "==", "in"):
            return has and value in self.values
        if op in ("!=", "notin"):
            return not has or value not in self.values
        if op == "exists":
            return has
        if op == "!":
            return not has
        if not has:
            return False
        try:
            actual, bound = int(value), int(self.values[0])
        except (TypeError, ValueError, IndexError):
            return False
        return actual > bound if op == "gt" else actual < bound

    def __str__(self) -> str:
        op, key = self.operator, self.key
        if op == "exists":
            return key
        if op == "!":
            return "!" + key
        if op in ("in", "notin"):
            return f"{key} {op} ({','.join(self.values)})"
        symbol = {"gt": ">", "lt": "<"}.get(op, op)
        return f"{key}{symbol}{self.values[0]}"


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False  # a nil metav1.LabelSelector selects nothing (labels.Nothing())

    @property
    def empty(self) -> bool:
        """True when it selects everything (no requirements)."""
        return not self.requirements and not self.nothing

    def matches(self, labels: dict | None) -> bool:
        if self.nothing:
            return False
        labels = labels if isinstance(labels, dict) else {}
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = LabelSelector()
NOTHING = LabelSelector(nothing=True)


def _lex(text: str) -> list[tuple[str, str]]:
    tokens, i, n = [], 0, len(text)
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            tokens.append(_EOS)
            return tokens
        if text[i] in _SPECIAL:
            i, token = _lex_symbol(text, i)
        else:
            start = i
            while i < n and text[i] not in _SPECIAL and text[i] not in _WHITESPACE:
                i += 1
            literal = text[start:i]
            token = (_TOKENS.get(literal, "Identifier"), literal)
        tokens.append(token)


def _lex_symbol(text: str, i: int) -> tuple[int, tuple[str, str]]:
    """Longest operator made of special characters; an unknown run is an error token."""
    buffer, last, end = "", None, i
    while i < len(text) and text[i] in _SPECIAL:
        buffer += text[i]
        if buffer in _TOKENS:
            last, end = (_TOKENS[buffer], buffer), i + 1
        elif last is not None:
            break
        i += 1
    if last is None:
        return i, ("Error", f"error expected: keyword found '{buffer}'")
    return end, last


class _Parser:
    def __init__(self, text: str):
        self.tokens = _lex(text)
        self.pos = 0

    def lookahead(self, values: bool = True) -> tuple[str, str]:
        tok, lit = self.tokens[min(self.pos, len(self.tokens) - 1)]
        if values and tok in ("In", "NotIn"):
            tok = "Identifier"
        return tok, lit

    def consume(self, values: bool = True) -> tuple[str, str]:
        tok = self.lookahead(values)
        self.pos += 1
        return tok

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok == "EndOfString":
                return requirements
            if tok not in ("Identifier", "DoesNotExist"):
                raise ValueError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self.requirement())
            except ValueError as e:
                raise ValueError(f"unable to parse requirement: {e}") from None
            tok, lit = self.consume()
            if tok == "EndOfString":
                return requirements
            if tok != "Comma":
                raise ValueError(f"found '{lit}', expected: ',' or 'end of string'")
            tok2, lit2 = self.lookahead()
            if tok2 not in ("Identifier", "DoesNotExist"):
                raise ValueError(f"found '{lit2}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        key, operator = self.key_and_operator()
        if operator in ("exists", "!"):
            return _new_requirement(key, operator, [])
        operator = self.operator()
        values = self.values() if operator in ("in", "notin") else self.exact_value()
        return _new_requirement(key, operator, sorted(values))

    def key_and_operator(self) -> tuple[str, str]:
        operator = ""
        tok, lit = self.consume()
        if tok == "DoesNotExist":
            operator = "!"
            tok, lit = self.consume()
        if tok != "Identifier":
            raise ValueError(f"found '{lit}', expected: identifier")
        problems = names.qualified_name(lit)
        if problems:
            raise ValueError(fe.render(fe.invalid("", lit, "; ".join(problems))))
        if self.lookahead()[0] in ("EndOfString", "Comma") and operator != "!":
            operator = "exists"
        return lit, operator

    def operator(self) -> str:
        tok, lit = self.consume(values=False)
        ops = {"In": "in", "Equals": "=", "DoubleEquals": "==", "GreaterThan": "gt", "LessThan": "lt",
               "NotIn": "notin", "NotEquals": "!="}
        if tok not in ops:
            raise ValueError(f"found '{lit}', expected: {_BINARY_OPERATORS}")
        return ops[tok]

    def values(self) -> set[str]:
        tok, lit = self.consume()
        if tok != "OpenPar":
            raise ValueError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok in ("Identifier", "Comma"):
            found = self.identifiers()
            if self.consume()[0] != "ClosedPar":
                raise ValueError(f"found '{lit}', expected: ')'")
            return found
        if tok == "ClosedPar":
            self.consume()
            return {""}
        raise ValueError(f"found '{lit}', expected: ',', ')' or identifier")

    def identifiers(self) -> set[str]:
        found: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok == "Identifier":
                found.add(lit)
                tok2, lit2 = self.lookahead()
                if tok2 == "Comma":
                    continue
                if tok2 == "ClosedPar":
                    return found
                raise ValueError(f"found '{lit2}', expected: ',' or ')'")
            if tok == "Comma":
                if not found:
                    found.add("")
                tok2 = self.lookahead()[0]
                if tok2 == "ClosedPar":
                    found.add("")
                    return found
                if tok2 == "Comma":
                    self.consume()
                    found.add("")
                continue
            raise ValueError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        tok, _ = self.lookahead()
        if tok in ("EndOfString", "Comma"):
            return {""}
        tok, lit = self.consume()
        if tok == "Identifier":
            return {lit}
        raise ValueError(f"found '{lit}', expected: identifier")


def _new_requirement(key: str, operator: str, values: list[str]) -> Requirement:
    """labels.NewRequirement: the operator's arity rules and label syntax, as one aggregated error."""
    causes = []
    problems = names.qualified_name(key)
    if problems:
        causes.append(fe.invalid("key", key, "; ".join(problems)))
    if operator in ("in", "notin") and not values:
        causes.append(fe.invalid("values", fe.GoRepr("[]string{}"), "for 'in', 'notin' operators, values set can't be empty"))
    if operator in ("=", "==", "!=") and len(values) != 1:
        causes.append(fe.invalid("values", fe.GoRepr(fe.go_syntax(values)), "exact-match compatibility requires one single value"))
    if operator in ("gt", "lt"):
        if len(values) != 1:
            causes.append(fe.invalid("values", fe.GoRepr(fe.go_syntax(values)), "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, v in enumerate(values):
            if not _is_int64(v):
                causes.append(fe.invalid(f"values[{i}]", v, "for 'Gt', 'Lt' operators, the value must be an integer"))
    for i, v in enumerate(values):
        problems = names.label_value(v)
        if problems:
            causes.append(fe.invalid(f"values[{i}][{key}]", v, "; ".join(problems)))
    if causes:
        raise ValueError(fe.aggregate(causes))
    return Requirement(key, operator, tuple(values))


def _is_int64(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    return body.isascii() and body.isdigit() and -2**63 <= int(text) < 2**63


def parse(text) -> LabelSelector:
    """The `labelSelector` query parameter; raises 400 BadRequest with the parser's message."""
    if text is None:
        return EVERYTHING
    if not isinstance(text, str):
        raise errors.bad_request(f"invalid label selector: {text!r}")
    try:
        requirements = _Parser(text).parse()
    except ValueError as e:
        raise errors.bad_request(str(e)) from None
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


_EXPRESSION_OPS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def from_label_selector(spec) -> LabelSelector:
    """metav1.LabelSelectorAsSelector: nil selects nothing, {} selects everything."""
    if spec is None:
        return NOTHING
    if not isinstance(spec, dict):
        raise errors.bad_request(f"invalid label selector: {spec!r}")
    match_labels = spec.get("matchLabels") or {}
    expressions = spec.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list):
        raise errors.bad_request("invalid label selector")
    requirements = []
    try:
        for key, value in match_labels.items():
            requirements.append(_new_requirement(key, "=", [value if isinstance(value, str) else str(value)]))
        for expr in expressions:
            if not isinstance(expr, dict):
                raise ValueError("invalid label selector requirement")
            op = _EXPRESSION_OPS.get(expr.get("operator"))
            if op is None:
                raise ValueError(f"{fe.go_quote(str(expr.get('operator')))} is not a valid label selector operator")
            values = expr.get("values") or []
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError("invalid label selector requirement values")
            requirements.append(_new_requirement(str(expr.get("key", "")), op, sorted(set(values))))
    except ValueError as e:
        raise errors.bad_request(str(e)) from None
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


def format_label_selector(spec) -> str:
    """metav1.FormatLabelSelector: the string kubectl shows for a selector (`<none>` when empty)."""
    if spec is None:
        return "<none>"
    try:
        selector = from_label_selector(spec)
    except errors.StatusError:
        return "<error>"
    text = str(selector)
    return text if text else "<none>"


def validate_labels(labels, path: str) -> list[errors.Cause]:
    """ValidateLabels: every key a qualified name, every value a valid label value; errors at `path`."""
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [fe.invalid(path, fe.GoRepr(fe.go_syntax(labels)), "must be a map of string keys to string values")]
    causes = []
    for key, value in labels.items():
        causes += [fe.invalid(path, key, m) for m in names.qualified_name(str(key))]
        if not isinstance(value, str):
            causes.append(fe.invalid(path, value, "must be a string"))
            continue
        causes += [fe.invalid(path, value, m) for m in names.label_value(value)]
    return causes


def validate_selector(spec, path: str) -> list[errors.Cause]:
    """metav1validation.ValidateLabelSelector (strict: label values must be valid)."""
    if spec is None:
        return []
    if not isinstance(spec, dict):
        return [fe.invalid(path, spec, "must be a label selector")]
    causes = validate_labels(spec.get("matchLabels"), f"{path}.matchLabels")
    expressions = spec.get("matchExpressions") or []
    for i, expr in enumerate(expressions if isinstance(expressions, list) else []):
        causes += _validate_requirement(expr, f"{path}.matchExpressions[{i}]")
    return causes


def _validate_requirement(expr, path: str) -> list[errors.Cause]:
    if not isinstance(expr, dict):
        return [fe.invalid(path, expr, "must be a label selector requirement")]
    causes = []
    operator, values = expr.get("operator"), expr.get("values") or []
    values = values if isinstance(values, list) else [values]
    if operator in ("In", "NotIn"):
        if not values:
            causes.append(fe.required(f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
    elif operator in ("Exists", "DoesNotExist"):
        if values:
            causes.append(fe.forbidden(f"{path}.values",
                                       "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    else:
        causes.append(fe.invalid(f"{path}.operator", operator if operator is not None else "",
                                 "not a valid selector operator"))
    key = expr.get("key")
    causes += [fe.invalid(f"{path}.key", key, m) for m in names.qualified_name(key if isinstance(key, str) else "")]
    for i, v in enumerate(values):
        causes += [fe.invalid(f"{path}.values[{i}]", v, m) for m in names.label_value(v if isinstance(v, str) else "")]
    return causes


def selector_from_set(labels: dict | None) -> LabelSelector:
    """labels.SelectorFromSet: a service's `spec.selector` map (empty selects everything)."""
    if not labels:
        return EVERYTHING
    return LabelSelector(tuple(sorted((Requirement(k, "=", (str(v),)) for k, v in labels.items()),
                                      key=lambda r: r.key)))
