"""Clear messages instead of tracebacks.

Every helper turns what went wrong (an error `Status` from the API server, a cluster that does not answer, a
kubeconfig without the context asked for) into a `WorkshopError` whose text says what happened and what to do.
In Jupyter the error shows as that text alone: IPython calls `_render_traceback_` instead of printing a traceback.
"""
from __future__ import annotations

import functools
import json

import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException


class WorkshopError(Exception):
    """An error a learner can act on; its message is the whole story (no traceback needed)."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def status_of(exc: ApiException) -> dict | None:
    """The `Status` object the server sent with an error response, if the body is one."""
    try:
        body = json.loads(exc.body or "")
    except (TypeError, ValueError):
        return None
    return body if isinstance(body, dict) and body.get("kind") == "Status" else None


def describe_status(status: dict) -> str:
    """`Error from server (Invalid): <message>` as kubectl prints it, plus any field cause the message leaves out."""
    reason = status.get("reason") or str(status.get("code", "Unknown"))
    message = status.get("message", "")
    lines = [f"Error from server ({reason}): {message}".rstrip()]
    for cause in (status.get("details") or {}).get("causes") or []:
        text = f"{cause['field']}: {cause.get('message', '')}" if cause.get("field") else cause.get("message", "")
        if text and text not in message:  # an Invalid message already spells out every field
            lines.append(f"  - {text}")
    return "\n".join(lines)


def describe_api_exception(exc: ApiException) -> str:
    status = status_of(exc)
    if status is not None:
        return describe_status(status)
    if not exc.status:  # the REST layer's own failures (TLS) come with status 0
        return f"Could not talk to the cluster: {exc.reason}"
    body = (exc.body or "").strip()
    return f"Error from server ({exc.status} {exc.reason}): {body}".rstrip(": ")


def describe_connection_error(exc: Exception, where: str = "", advice: str = "") -> str:
    """A cluster that does not answer: say where we tried, why it failed in one line, and what to do next."""
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    if "Connection refused" in text or "Errno 111" in text:
        text = "connection refused"
    elif "timed out" in text.lower():
        text = "timed out"
    lines = [f"Cannot reach the cluster{' at ' + where if where else ''}: {text}."]
    if advice:
        lines.append(advice)
    return "\n".join(lines)


def explain(exc: BaseException, where: str = "", advice: str = "") -> str:
    """One clear message for any error a helper can meet while talking to a cluster."""
    if isinstance(exc, WorkshopError):
        return str(exc)
    if isinstance(exc, ApiException):
        return describe_api_exception(exc)
    if isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)):
        return describe_connection_error(exc, where, advice)
    if isinstance(exc, ConfigException):
        return f"The kubeconfig could not be used: {exc}"
    return f"{type(exc).__name__}: {exc}"


def friendly(function):
    """Decorator for notebook-facing helpers: API and connection errors surface as a `WorkshopError`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except WorkshopError:
            raise
        except (ApiException, urllib3.exceptions.HTTPError, ConnectionError, ConfigException) as exc:
            raise WorkshopError(explain(exc, *_connection_hint())) from None

    return wrapper


def _connection_hint() -> tuple[str, str]:
    """Where the current connection points and what to do if it is down (empty before connect())."""
    from . import cluster  # late import: cluster imports this module

    conn = cluster.connected()
    return (conn.server, conn.advice) if conn else ("", "")
