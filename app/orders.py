"""Orders as data: checking what a client sent, the amount rule, and the messages that travel through Redis.

Pure functions only (no I/O), so every rule is unit-tested on its own.
"""
from __future__ import annotations

import json
import math
import uuid
from dataclasses import asdict, dataclass

MAX_TEXT = 100  # customerName and productId: long enough for real names, short enough for keys and logs


class OrderError(ValueError):
    """The input is not a valid order; the message says why, in words a client can act on."""


@dataclass(frozen=True)
class Order:
    confirmationId: str
    customerName: str
    productId: str
    amount: int | float
    queuedAt: str
    status: str = "queued"

    def to_message(self) -> str:
        """The JSON text pushed onto the queue (unique per order, so LREM finds exactly this one)."""
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)


def format_amount(amount: int | float) -> str:
    """150 and 150.0 both read "150"; 12.5 stays "12.5"."""
    if isinstance(amount, float) and amount.is_integer() and abs(amount) < 1e15:
        return str(int(amount))
    return repr(amount)


def check_amount_value(amount) -> int | float:
    """The amount as a number, or OrderError. Shared by the API (JSON body) and the validator (query)."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise OrderError(f"amount must be a number, got {_describe(amount)}")
    if not math.isfinite(amount):
        raise OrderError(f"amount must be a finite number, got {amount}")
    if amount <= 0:
        raise OrderError(f"amount must be greater than 0, got {format_amount(amount)}")
    return amount


def parse_amount_text(text: str | None) -> int | float:
    """The validator's query parameter (?amount=150) as a number, or OrderError."""
    if text is None or not text.strip():
        raise OrderError("query parameter amount is required, for example ?amount=42")
    text = text.strip()
    try:
        value = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise OrderError(f"amount must be a number, got {text!r}") from None
    return check_amount_value(value)


def limit_violation(amount: int | float, limit: int | float) -> str | None:
    """The validator's business rule: None when the amount is allowed, else the reason it is not."""
    if amount > limit:
        return f"amount {format_amount(amount)} exceeds the limit of {format_amount(limit)}"
    return None


def parse_order(payload, *, confirmation_id: str, queued_at: str) -> Order:
    """A client's JSON body ({amount, customerName, productId}) as an Order, or OrderError naming the problem."""
    if not isinstance(payload, dict):
        raise OrderError(f"the body must be a JSON object with amount, customerName and productId, "
                         f"got {_describe(payload)}")
    missing = [name for name in ("amount", "customerName", "productId") if name not in payload]
    if missing:
        raise OrderError(f"missing required field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    amount = check_amount_value(payload["amount"])
    customer = _text(payload["customerName"], "customerName")
    if "/" in customer:
        raise OrderError("customerName must not contain '/': it is part of the order's URL")
    product = _text(payload["productId"], "productId")
    return Order(confirmation_id, customer, product, amount, queued_at)


def _text(value, name: str) -> str:
    if not isinstance(value, str):
        raise OrderError(f"{name} must be a string, got {_describe(value)}")
    value = value.strip()
    if not value:
        raise OrderError(f"{name} must not be empty")
    if len(value) > MAX_TEXT:
        raise OrderError(f"{name} must be at most {MAX_TEXT} characters, got {len(value)}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise OrderError(f"{name} must not contain control characters")
    return value


def _describe(value) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    kind = names.get(type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)
    shown = json.dumps(value, default=str)
    return kind if len(shown) > 40 else f"{kind} ({shown})"


def new_confirmation_id() -> str:
    return str(uuid.uuid4())


def is_confirmation_id(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def from_message(message: str) -> Order:
    """An Order read back from the queue, or OrderError if the message is not one (it goes to the dead letters)."""
    try:
        data = json.loads(message)
        order = Order(**data)
    except (ValueError, TypeError) as error:
        raise OrderError(f"not an order message: {error}") from None
    parse_order(asdict(order), confirmation_id=order.confirmationId, queued_at=order.queuedAt)
    if not is_confirmation_id(order.confirmationId):
        raise OrderError(f"not an order message: bad confirmationId {order.confirmationId!r}")
    return order


def processed(order: Order, *, worker_id: str, processed_at: str) -> dict:
    """The confirmation the worker stores in the cache and the API returns."""
    return {**asdict(order), "status": "processed", "processedAt": processed_at, "processedBy": worker_id}


def confirmation_key(confirmation_id: str) -> str:
    return f"order:{confirmation_id}"
