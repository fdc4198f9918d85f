"""`$(VAR)` references as the kubelet expands them in env values, command and args
(third_party/forked/golang/expansion): `$(NAME)` becomes the variable's value, `$$` is a literal `$`, and
anything else, a reference to an unknown variable included, stays as written.

    expand("$(HOST):$(PORT)", {"HOST": "redis"}.get)   -> "redis:$(PORT)"
    expand("cost: $$(PRICE)", lookup)                  -> "cost: $(PRICE)"

Pure: no I/O."""
from __future__ import annotations

from typing import Callable, Mapping

Lookup = Callable[[str], "str | None"]


def lookup_in(*contexts: Mapping[str, str]) -> Lookup:
    """The first context holding the name wins (MappingFuncFor): `lookup_in(declared, services)`."""
    def lookup(name: str) -> str | None:
        for context in contexts:
            if name in context:
                return context[name]
        return None
    return lookup


def expand(text: str, lookup: Lookup) -> str:
    """`text` with each `$(NAME)` that `lookup` knows replaced. Worked through `a$$b$(X$(Y)c` with X unknown:
    `a`, then `$$` -> `$`, `b`, then `$(` reads up to the first `)`: the name `X$(Y` is unknown, so
    `$(X$(Y)` stays, and `c` follows: `a$b$(X$(Y)c`."""
    out: list[str] = []
    start = 0  # the first character not yet copied
    i = 0
    while i < len(text):
        if text[i] != "$" or i + 1 == len(text):  # a `$` at the very end is kept as it is
            i += 1
            continue
        out.append(text[start:i])
        after = text[i + 1]
        if after == "$":  # escaped operator
            out.append("$")
            i += 2
        elif after == "(":
            close = text.find(")", i + 2)
            if close < 0:  # an unterminated reference: keep `$(` and scan on after it
                out.append("$(")
                i += 2
            else:
                name = text[i + 2:close]
                value = lookup(name)
                out.append(value if value is not None else f"$({name})")
                i = close + 1
        else:  # `$x` is no reference: both characters stay
            out.append("$" + after)
            i += 2
        start = i
    out.append(text[start:])
    return "".join(out)
