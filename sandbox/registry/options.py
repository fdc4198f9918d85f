"""What a request asks of the Registry beyond the object, parsed once (by the HTTP layer from the query and body, or
given by an in-process caller) and passed down as one object (metav1.CreateOptions, UpdateOptions, PatchOptions and
DeleteOptions)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.machinery import errors

FIELD_VALIDATION = ("Strict", "Warn", "Ignore")


@dataclass(frozen=True)
class WriteOptions:
    """A create, update or patch: dryRun, fieldManager, fieldValidation, force (server-side apply), and in-process
    `trusted` (a controller's body, built from decoded objects: the decoder's walk is skipped)."""
    dry_run: bool = False
    field_manager: str = ""
    field_validation: str = "Strict"  # over HTTP Warn unless the request says (kube-apiserver's default)
    force: bool = False
    trusted: bool = False
    warnings: list | None = field(default=None, compare=False)  # collects Warn's unknown-field warnings

    def check(self) -> WriteOptions:
        if self.field_validation not in FIELD_VALIDATION:
            raise errors.bad_request(f'fieldValidation: Unsupported value: "{self.field_validation}": supported '
                                     'values: "Ignore", "Strict", "Warn"')
        return self


def write_options(options: WriteOptions | None, *, dry_run: bool = False, field_manager: str = "",
                  field_validation: str = "Strict", force: bool = False, warnings: list | None = None,
                  trusted: bool = False) -> WriteOptions:
    """The options of a write: the object the caller parsed (the HTTP layer), else the in-process keywords."""
    if options is None:
        return WriteOptions(dry_run, field_manager, field_validation, force, trusted, warnings)
    if trusted and not options.trusted:
        return WriteOptions(options.dry_run, options.field_manager, options.field_validation, options.force, True,
                            options.warnings)
    return options


@dataclass(frozen=True)
class DeleteOptions:
    """A DELETE's options (its body or query), an Eviction's deleteOptions, or an in-process delete's."""
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    preconditions: dict | None = None
    dry_run: bool = False

    @classmethod
    def from_body(cls, body: dict, dry_run: bool = False) -> DeleteOptions:
        """A metav1.DeleteOptions object, checked as the apiserver decodes it (orphanDependents: the deprecated
        spelling of Orphan/Background); `dry_run` adds the query's dryRun."""
        grace = body.get("gracePeriodSeconds")
        if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
            raise errors.bad_request("gracePeriodSeconds must be an integer")
        policy, orphan = body.get("propagationPolicy"), body.get("orphanDependents")
        if policy is None and orphan is not None:
            policy = "Orphan" if str(orphan).lower() == "true" else "Background"
        preconditions = body.get("preconditions")
        if preconditions is not None and not isinstance(preconditions, dict):
            raise errors.bad_request("preconditions must be an object")
        return cls(grace, policy, preconditions, check_dry_run(body.get("dryRun") or []) or dry_run)


def check_dry_run(values) -> bool:
    """True for ["All"], False for []; any other directive is refused, as the apiserver refuses it."""
    if not isinstance(values, list):
        raise errors.bad_request("dryRun must be a list")
    for value in values:
        if value != "All":
            raise errors.bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)
