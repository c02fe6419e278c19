"""The one exception hierarchy of tfhelm, with messages written for users.

Every failure a user can cause (a bad chart, a bad value, an unreachable cluster) is raised as
a subclass of :class:`TfhelmError`. The CLI prints ``str(error)`` and exits with
``error.exit_code``; a traceback is shown only with ``--debug``.

    TfhelmError
    ├── UsageError            bad command-line input (exit code 2)
    ├── ChartError            Chart.yaml, chart layout, chart schema, .tfhelmignore
    │   └── ChartNotFoundError
    ├── ValuesError           values files, --set expressions
    │   └── SetSyntaxError
    ├── SchemaError           merged values violate values.schema.json (all violations)
    ├── RenderError           template syntax or runtime errors, bad rendered YAML
    │   ├── ManifestError     a rendered document is not a valid Kubernetes object
    │   └── TemplateFailure   a chart's own fail()/required() message (engine.filters)
    ├── LintError             lint found errors
    ├── SchemaUnavailable     no offline Kubernetes schemas for lint (kubeschema)
    ├── ClusterError          the cluster is unreachable or refused a request
    │   ├── UnreachableError, NotFoundError, PreconditionError,
    │   │   ApplyConflictError                                   (kube.errors)
    │   └── WaitTimeout, ResourceFailed      --wait gave up    (actions.wait)
    ├── ReleaseError          release records, locks, history
    └── RepoError             packages, chart repositories, OCI registries
        ├── ArchiveError      an unsafe or malformed chart archive
        └── ProvenanceError   a chart's signature (.prov) is missing, bad, by an unknown key or for other bytes

Subclasses that belong to one layer live beside it (named in brackets) and are still caught as
their parent here. Errors carry the fields a user needs (file, line, value path, object) so callers can act on
them programmatically; the message is built from those fields.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ArchiveError",
    "ChartError",
    "ChartNotFoundError",
    "ClusterError",
    "LintError",
    "ManifestError",
    "ProvenanceError",
    "ReleaseError",
    "RenderError",
    "RepoError",
    "SchemaError",
    "SetSyntaxError",
    "TfhelmError",
    "UsageError",
    "ValuesError",
    "location",
]


def location(file: object | None, line: int | None = None) -> str:
    """Format ``file:line`` (or just ``file``) for messages; empty when nothing is known."""
    if file is None:
        return ""
    return f"{file}:{line}" if line else str(file)


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
        where = location(file, line)
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.line = line


class ChartNotFoundError(ChartError):
    """The chart path does not exist or is not a chart."""


class ValuesError(TfhelmError):
    """A values file or a ``--set``-style expression is malformed."""

    def __init__(self, message: str, *, file: object | None = None, line: int | None = None):
        where = location(file, line)
        super().__init__(f"{where}: {message}" if where else message)
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
        where = location(template, line)
        super().__init__(f"{where}: {message}" if where else message)
        self.template = template
        self.line = line


class ManifestError(RenderError):
    """A rendered document is not a usable Kubernetes object (no kind, duplicate, …)."""


class LintError(TfhelmError):
    """Lint found at least one error; the findings were already printed."""


class ClusterError(TfhelmError):
    """The cluster could not be reached, or refused a request.

    ``details`` holds the server's whole answer when the message had to shorten it; the CLI
    prints it with ``--debug``.
    """

    def __init__(self, message: str, *, details: str | None = None) -> None:
        super().__init__(message)
        self.details = details


class ReleaseError(TfhelmError):
    """A release record is missing, locked, or in a state that forbids the operation."""


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
