"""The one exception hierarchy of tfhelm, with messages written for users.

Every failure a user can cause (a bad chart, a bad value, an unreachable cluster) is raised as
a subclass of :class:`TfhelmError`. The CLI prints ``str(error)`` and exits with
``error.exit_code``; a traceback is shown only with ``--debug``. Every exception class of
tfhelm is defined here (a test checks it), so one import reaches them all:

    TfhelmError
    ├── UsageError             bad command-line input (exit code 2)
    ├── ChartError             Chart.yaml, chart layout, chart schema, .tfhelmignore
    │   └── ChartNotFoundError
    ├── ValuesError            values files, --set expressions
    │   └── SetSyntaxError
    ├── SchemaError            merged values violate values.schema.json (all violations)
    ├── RenderError            template syntax or runtime errors, bad rendered YAML
    │   ├── ManifestError      a rendered document is not a valid Kubernetes object
    │   └── TemplateFailure    a chart's own fail()/required() message
    ├── LintError              lint found errors
    ├── SchemaUnavailable      no offline Kubernetes schemas for lint
    ├── ClusterError           the cluster is unreachable or refused a request
    │   ├── UnreachableError   no answer from the API server (names its URL)
    │   ├── NotFoundError      the object (or its kind) does not exist
    │   ├── PreconditionError  a write lost a race (resourceVersion changed, name taken)
    │   ├── ApplyConflictError another field manager owns fields we apply
    │   ├── WaitTimeout        --wait gave up; names every unready resource
    │   └── ResourceFailed     a resource failed for good (a failed Job)
    ├── ReleaseError           release records, locks, history
    │   ├── OwnershipError     objects to apply belong to someone else (nothing written)
    │   └── LockLostError      the operation lost its release's lock (stopped before writing)
    └── RepoError              packages, chart repositories, OCI registries
        ├── ArchiveError       an unsafe or malformed chart archive
        └── ProvenanceError    a chart's signature (.prov) is missing, bad, by an unknown key or for other bytes

Four signals are plain ``Exception`` on purpose: they never reach the user, because the one
caller that can meet each turns it into a user error or a finding:

    YamlProblem                a YAML parse error and its line (yamlio; callers use
                               ``yamlio.parse_yaml``, which raises the right TfhelmError)
    UnknownKind                the offline schemas do not know a kind (kubeschema; lint
                               reports it as a finding)
    PatternError               RE2 cannot compile a schema pattern (values; schema checks
                               report it as a SchemaError naming the schema file and keyword)
    BudgetExceeded             a template went over the render budget (engine; the renderer
                               raises a RenderError naming the template file and line)

Errors carry the fields a user needs (file, line, value path, object) so callers can act on
them programmatically; the message is built from those fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "ApplyConflictError",
    "ArchiveError",
    "BudgetExceeded",
    "ChartError",
    "ChartNotFoundError",
    "ClusterError",
    "LintError",
    "LockLostError",
    "ManifestError",
    "NotFoundError",
    "OwnershipError",
    "PatternError",
    "PreconditionError",
    "ProvenanceError",
    "ReleaseError",
    "RenderError",
    "RepoError",
    "ResourceFailed",
    "SchemaError",
    "SchemaUnavailable",
    "SetSyntaxError",
    "TemplateFailure",
    "TfhelmError",
    "UnknownKind",
    "UnreachableError",
    "UsageError",
    "ValuesError",
    "WaitTimeout",
    "YamlProblem",
    "location",
]


def location(file: object | None, line: int | None = None) -> str:
    """Format ``file:line`` (or just ``file``) for messages; empty when nothing is known."""
    if file is None:
        return ""
    return f"{file}:{line}" if line else str(file)


def _located(message: str, file: object | None, line: int | None) -> str:
    where = location(file, line)
    return f"{where}: {message}" if where else message


class TfhelmError(Exception):
    """Root of every error tfhelm raises on purpose. ``str(error)`` is the user message."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(TfhelmError):
    """The command line itself is wrong (a bad flag value, a bad combination)."""

    exit_code = 2


class ChartError(TfhelmError):
    """A chart is malformed: Chart.yaml, its layout, its schema or its ignore file."""

    def __init__(self, message: str, *, file: object | None = None, line: int | None = None):
        super().__init__(_located(message, file, line))
        self.file = file
        self.line = line


class ChartNotFoundError(ChartError):
    """The chart path does not exist or is not a chart."""


class ValuesError(TfhelmError):
    """A values file or a ``--set``-style expression is malformed."""

    def __init__(self, message: str, *, file: object | None = None, line: int | None = None):
        super().__init__(_located(message, file, line))
        self.file = file
        self.line = line


class SetSyntaxError(ValuesError):
    """A ``--set`` expression cannot be parsed; names the flag and the expression.

    ``shown`` is the expression as the message displays it: callers pass it with the values
    masked (``jupyter.password=…``), since a value may be a secret.
    """

    def __init__(self, message: str, *, flag: str = "--set", expression: str = "", shown: str | None = None):
        shown = expression if shown is None else shown
        super().__init__(f"{flag} {shown!r}: {message}" if shown else f"{flag}: {message}")
        self.flag = flag
        self.expression = expression


class SchemaError(TfhelmError):
    """Merged values violate the chart's values.schema.json.

    ``violations`` holds ``(value_path, message)`` pairs sorted by path; every one is reported.
    """

    def __init__(self, chart: str, violations: Sequence[tuple[str, str]]):
        self.chart = chart
        self.violations = list(violations)
        lines = [f"values do not match the schema of chart {chart!r}:"]
        lines += [f"  {path}: {message}" for path, message in self.violations]
        super().__init__("\n".join(lines))


class RenderError(TfhelmError):
    """A template failed to render, or rendered text that is not valid YAML."""

    def __init__(self, message: str, *, template: str | None = None, line: int | None = None):
        super().__init__(_located(message, template, line))
        self.template = template
        self.line = line


class ManifestError(RenderError):
    """A rendered document is not a usable Kubernetes object (no kind, duplicate, …)."""


class TemplateFailure(RenderError):
    """Raised by ``fail()`` and ``required()``: the chart author's message for the user."""


class LintError(TfhelmError):
    """Lint found at least one error; the findings were already printed."""


class SchemaUnavailable(TfhelmError):
    """No schemas can be used: the extra is not installed, or the version is not covered."""


class ClusterError(TfhelmError):
    """The cluster could not be reached, or refused a request.

    ``details`` holds the server's whole answer when the message had to shorten it; the CLI
    prints it with ``--debug``.
    """

    def __init__(self, message: str, *, details: str | None = None) -> None:
        super().__init__(message)
        self.details = details


class UnreachableError(ClusterError):
    """The API server did not answer; the message names the server URL."""

    def __init__(self, server: str, reason: str):
        super().__init__(f"Kubernetes cluster unreachable at {server}: {reason}")
        self.server = server
        self.reason = reason


class NotFoundError(ClusterError):
    """The object or its kind is not on the server."""


class PreconditionError(ClusterError):
    """A conditional write failed: someone else changed or created the object first."""


class ApplyConflictError(ClusterError):
    """Fields we apply are owned by another field manager (``--force-conflicts`` takes them)."""

    def __init__(self, obj: str, conflicts: Sequence[tuple[str, str]]):
        self.object = obj
        self.conflicts = list(conflicts)
        details = "; ".join(f"{field} is owned by {manager}" for manager, field in self.conflicts)
        super().__init__(
            f"{obj}: conflict with another field manager: {details} (use --force-conflicts to take ownership)"
        )

    @property
    def managers(self) -> list[str]:
        return sorted({manager for manager, _ in self.conflicts})


class WaitTimeout(ClusterError):
    """Resources were not ready in time; ``unready`` lists their states (``.ref``, ``.readiness``).

    ``waited`` is the timeout as the user spelled durations (``5m0s``); each unready entry comes
    with the details (conditions, events) that explain it.
    """

    def __init__(self, waited: str, unready: Sequence[tuple[Any, str]], waiting_for: str = "be ready"):
        self.unready = [state for state, _ in unready]
        lines = [f"timed out after {waited} waiting for {len(unready)} resource(s) to {waiting_for}:"]
        lines += [f"  {state.ref}: {state.readiness.reason}{details}" for state, details in unready]
        super().__init__("\n".join(lines))


class ResourceFailed(ClusterError):
    """A resource failed for good (a failed Job): waiting longer cannot help."""


class ReleaseError(TfhelmError):
    """A release record is missing, locked, or in a state that forbids the operation."""


class OwnershipError(ReleaseError):
    """Objects to apply exist and belong to someone else (nothing was written)."""


class LockLostError(ReleaseError):
    """The operation no longer holds its release's lock; it stopped before writing more."""


class RepoError(TfhelmError):
    """A chart package, repository or registry operation failed."""


class ArchiveError(RepoError):
    """A chart archive is malformed or unsafe; nothing was extracted."""


class ProvenanceError(RepoError):
    """Signing a package, or verifying it against its ``.prov`` file, failed; nothing was trusted.

    ``file`` names the archive or ``.prov`` file, ``key`` the signing key or the keyring involved.
    """

    def __init__(self, message: str, *, file: object | None = None, key: str | None = None) -> None:
        super().__init__(f"{file}: {message}" if file is not None else message)
        self.file = file
        self.key = key


class YamlProblem(Exception):
    """A YAML parse error with the 1-based line (and column) where it was found."""

    def __init__(self, problem: str, line: int | None, column: int | None):
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.column = column


class PatternError(ValueError):
    """RE2 cannot compile a pattern; ``reason`` says why in RE2's words."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"RE2 cannot compile the pattern {pattern!r}: {reason}")
        self.pattern = pattern
        self.reason = reason


class BudgetExceeded(Exception):
    """A template went over the render budget; the renderer adds the file and line."""


class UnknownKind(Exception):
    """The offline schemas do not know this kind/apiVersion (a custom resource, or a removed API)."""
