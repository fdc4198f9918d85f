"""The helpers' errors: one family, each error a message a learner or an instructor can act on.

    WorkshopError            anything a helper or the `workshop` command reports; its text is the whole story
     ├── ContextRefused      guard: the helpers will not use this kubeconfig context (a production one, say)
     ├── NoSuchKind          api: the cluster does not serve this apiVersion/kind (a CRD not installed, a typo)
     ├── TimedOut            wait: a condition did not hold in time; the text says what is still missing
     ├── ToolMissing         kind: a command `workshop up --kind` needs is not installed
     └── StepFailed          kind: a command of the plan exited with an error

What went wrong at the API (an error `Status`, a cluster that does not answer, a kubeconfig without the context
asked for) becomes a `WorkshopError` through explain(), which formats messages and knows nothing of connections:
where the connection points and what to do when it is down are added by its owner (`cluster.friendly`).
In Jupyter the error shows as its text alone: IPython calls `_render_traceback_` instead of printing a traceback.
"""
from __future__ import annotations

import json

import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException


class WorkshopError(Exception):
    """An error a learner can act on; its message is the whole story (no traceback needed)."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


class ContextRefused(WorkshopError):
    """The helpers will not use this context."""


class NoSuchKind(WorkshopError):
    """The cluster does not serve this apiVersion/kind (a CRD that is not installed, a typo)."""


class TimedOut(WorkshopError):
    """The condition did not hold in time; the message says what is missing."""


class ToolMissing(WorkshopError):
    """A command the plan needs is not installed."""


class StepFailed(WorkshopError):
    """A command of the plan exited with an error."""


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
