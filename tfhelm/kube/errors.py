"""Cluster failures callers act on, all :class:`~tfhelm.errors.ClusterError` subclasses.

ClusterError
├── UnreachableError     no answer from the API server (names its URL)
├── NotFoundError        the object (or its kind) does not exist
├── PreconditionError    a write lost a race (resourceVersion changed, name already taken)
└── ApplyConflictError   server-side apply: another field manager owns fields we set
"""

from __future__ import annotations

from collections.abc import Sequence

from tfhelm.errors import ClusterError

__all__ = ["ApplyConflictError", "NotFoundError", "PreconditionError", "UnreachableError"]


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
