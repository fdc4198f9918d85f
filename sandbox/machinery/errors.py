"""API errors as the Kubernetes API server reports them: a `Status` object with the real reason, code and
message wording (k8s.io/apimachinery/pkg/api/errors), so clients see what a real cluster would say."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Cause:
    field: str
    message: str
    reason: str  # FieldValueRequired, FieldValueInvalid, FieldValueDuplicate, FieldValueNotSupported, ...


class StatusError(Exception):
    """Raised anywhere in the sandbox; the HTTP layer turns it into a Status body with `code`."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict:
        """metav1.Status in its Go field order (kind, apiVersion, metadata, status, message, reason, details, code;
        details: name, group, kind, uid, causes, retryAfterSeconds), as clients that compare the text see it."""
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": self.message,
                **({"reason": self.reason} if self.reason else {})}  # reason is omitempty
        if self.details is not None:
            order = ("name", "group", "kind", "uid", "causes", "retryAfterSeconds")
            body["details"] = {**{k: self.details[k] for k in order if k in self.details},
                               **{k: v for k, v in self.details.items() if k not in order}}
        body["code"] = self.code
        return body


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
               "\\": "\\\\", '"': '\\"'}


def _q(name: str) -> str:
    r"""Go's %q (strconv.Quote), as these messages quote names: `"a\nb"` for a name holding a newline, `\x00` for
    other control characters, printable Unicode as it is."""
    out = []
    for c in name:
        if c in _GO_ESCAPES:
            out.append(_GO_ESCAPES[c])
        elif c.isprintable():
            out.append(c)
        else:
            code = ord(c)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'



def _qualified(group: str, plural: str) -> str:
    return f"{plural}.{group}" if group else plural


def _details(name: str, group: str, plural: str) -> dict:
    details = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return details


def not_found(group: str, plural: str, name: str) -> StatusError:
    return StatusError(404, "NotFound", f'{_qualified(group, plural)} {_q(name)} not found',
                       _details(name, group, plural))


def already_exists(group: str, plural: str, name: str) -> StatusError:
    return StatusError(409, "AlreadyExists", f'{_qualified(group, plural)} {_q(name)} already exists',
                       _details(name, group, plural))


def conflict(group: str, plural: str, name: str, why: str) -> StatusError:
    return StatusError(409, "Conflict",
                       f'Operation cannot be fulfilled on {_qualified(group, plural)} {_q(name)}: {why}',
                       _details(name, group, plural))


def storage_invalid_object(key: str, why: str) -> str:
    """storage.NewInvalidObjError as the update path passes it on: a failed UID precondition."""
    return f"StorageError: invalid object, Code: 4, Key: {key}, ResourceVersion: 0, AdditionalErrorMsg: {why}"


STALE_OBJECT = "the object has been modified; please apply your changes to the latest version and try again"


def invalid(group: str, kind: str, name: str, causes: list[Cause]) -> StatusError:
    """`Deployment.apps "web" is invalid: [spec.selector: Required value, ...]` with one cause per field."""
    qualified_kind = f"{kind}.{group}" if group else kind
    messages = [f"{c.field}: {c.message}" for c in causes]
    joined = messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
    details = {"name": name, "kind": kind,
               "causes": [{"reason": c.reason, "message": c.message, "field": c.field} for c in causes]}
    if group:
        details["group"] = group
    return StatusError(422, "Invalid", f'{qualified_kind} "{name}" is invalid: {joined}', details)


def forbidden(group: str, plural: str, name: str, why: str) -> StatusError:
    return StatusError(403, "Forbidden", f'{_qualified(group, plural)} {_q(name)} is forbidden: {why}',
                       _details(name, group, plural))


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> StatusError:
    return StatusError(405, "MethodNotAllowed", message)


def unauthorized() -> StatusError:
    return StatusError(401, "Unauthorized", "Unauthorized")


def gone(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


def too_large() -> StatusError:
    return StatusError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")


def unsupported_media_type(content_type: str) -> StatusError:
    # The real server lists what it accepts, whatever was sent; for patches, kube-apiserver names the patch types.
    accepted = ("application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                if "patch" in content_type else "application/json, application/yaml, application/vnd.kubernetes.protobuf")
    return StatusError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                       f"accepted media types include: {accepted}")


def not_acceptable(message: str) -> StatusError:
    return StatusError(406, "NotAcceptable", message)


def internal(message: str) -> StatusError:
    return StatusError(500, "InternalError", f"Internal error occurred: {message}")
