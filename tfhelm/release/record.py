"""The release record: one revision of a release, serialisable to JSON.

Values a chart's schema marks ``writeOnly`` (passwords) are replaced by :data:`REDACTED` before
a record is built, so they are neither stored nor printed.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["REDACTED", "ChartInfo", "Release", "Status", "now", "redact_values"]

REDACTED = "<redacted>"


class Status(enum.StrEnum):
    """Helm's release statuses (``str(status)`` is the value, ``deployed``)."""

    UNKNOWN = "unknown"
    DEPLOYED = "deployed"
    UNINSTALLED = "uninstalled"
    SUPERSEDED = "superseded"
    FAILED = "failed"
    UNINSTALLING = "uninstalling"
    PENDING_INSTALL = "pending-install"
    PENDING_UPGRADE = "pending-upgrade"
    PENDING_ROLLBACK = "pending-rollback"

    @property
    def is_pending(self) -> bool:
        return self in (Status.PENDING_INSTALL, Status.PENDING_UPGRADE, Status.PENDING_ROLLBACK, Status.UNINSTALLING)


@dataclass(frozen=True)
class ChartInfo:
    """What a record remembers of the chart: its metadata and a digest of its files."""

    name: str
    version: str
    app_version: str | None = None
    description: str | None = None
    digest: str = ""
    annotations: dict[str, str] = field(default_factory=dict)  # Chart.yaml's, for ``get metadata``
    dependencies: list[dict[str, Any]] = field(default_factory=list)  # Chart.yaml's entries, as written

    @property
    def label(self) -> str:
        """``tf-cluster-0.1.0``, as ``helm list`` prints the chart."""
        return f"{self.name}-{self.version}"


def now() -> str:
    """The current UTC time in RFC 3339 with microseconds (records sort by it)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class Release:
    """One revision of a release."""

    name: str
    namespace: str
    revision: int
    status: Status
    chart: ChartInfo
    values: dict[str, Any] = field(default_factory=dict)  # user-supplied, redacted
    computed_values: dict[str, Any] = field(default_factory=dict)  # defaults + user, redacted
    manifest: str = ""
    notes: str | None = None
    description: str = ""
    first_deployed: str = ""
    last_deployed: str = ""
    deleted: str = ""
    redacted: list[str] = field(default_factory=list)  # value paths hidden as REDACTED
    objects: list[dict[str, Any]] = field(default_factory=list)  # applied objects: ref + digest
    fingerprint: str = ""  # of everything rendering depended on (see tfhelm.actions.fingerprint)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (fields hold JSON already, so no deep copy: ``asdict`` is slow on big records)."""
        document = {name: getattr(self, name) for name in self.__dataclass_fields__}
        document["status"] = self.status.value
        document["chart"] = asdict(self.chart)
        return document

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Release:
        fields = dict(document)
        fields["status"] = Status(fields.get("status", "unknown"))
        fields["chart"] = ChartInfo(**fields["chart"])
        known = cls.__dataclass_fields__
        return cls(**{key: value for key, value in fields.items() if key in known})

    def copy(self, **changes: Any) -> Release:
        duplicate = Release.from_dict(copy.deepcopy(self.to_dict()))
        for key, value in changes.items():
            setattr(duplicate, key, value)
        return duplicate


def redact_values(values: dict[str, Any], paths: list[tuple]) -> dict[str, Any]:
    """A deep copy of ``values`` with every path in ``paths`` replaced by :data:`REDACTED`."""
    redacted = copy.deepcopy(values)
    for path in paths:
        node: Any = redacted
        for part in path[:-1]:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if path and isinstance(node, (dict, list)):
            try:
                node[path[-1]]  # only paths present in these values
                node[path[-1]] = REDACTED
            except (KeyError, IndexError, TypeError):
                pass
    return redacted
