"""Quantities the way the autoscalers handle them, on top of sandbox.machinery.quantity: compared in milli-units
(Quantity.MilliValue(), rounded up) and written back as resource.NewMilliQuantity(v, DecimalSI) serialises."""
from __future__ import annotations

from sandbox.machinery import quantity

parse = quantity.parse_quantity


def milli_value(value) -> int:
    """Quantity.MilliValue() of any quantity (cpu, memory, a metric value); raises QuantityError (a ValueError)."""
    return quantity.parse_cpu(value)


def format_milli(milli: int) -> str:
    """resource.NewMilliQuantity(milli, DecimalSI).String(): "52", "1500m", "3334m", "12k"."""
    return quantity.canonical(f"{int(milli)}m")


def format_nanocores(nanocores: int) -> str:
    """CPU usage as metrics-server writes it (resource.NewScaledQuantity(n, -9)): "52000000n"."""
    return f"{max(0, int(nanocores))}n"


format_memory = quantity.format_memory
