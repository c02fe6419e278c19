"""``tfhelm list``: the latest revision of each release, filtered by status as Helm does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tfhelm.actions.configuration import Configuration
from tfhelm.errors import ReleaseError
from tfhelm.release import Release, Status

__all__ = [
    "DEFAULT_STATUSES",
    "STATUS_FILTERS",
    "ListOptions",
    "ReleaseList",
    "helm_time",
    "list_releases",
    "release_row",
    "statuses_of",
]

# Helm lists deployed and failed releases by default; pending ones are shown too, because a
# release stuck mid-operation is exactly what a user must see.
DEFAULT_STATUSES = frozenset(
    {
        Status.DEPLOYED,
        Status.FAILED,
        Status.PENDING_INSTALL,
        Status.PENDING_UPGRADE,
        Status.PENDING_ROLLBACK,
        Status.UNINSTALLING,
    }
)

# ``list --deployed --failed …``: each flag adds these statuses (Helm's ListStates).
STATUS_FILTERS = {
    "deployed": frozenset({Status.DEPLOYED}),
    "failed": frozenset({Status.FAILED}),
    "pending": frozenset({Status.PENDING_INSTALL, Status.PENDING_UPGRADE, Status.PENDING_ROLLBACK}),
    "superseded": frozenset({Status.SUPERSEDED}),
    "uninstalled": frozenset({Status.UNINSTALLED}),
    "uninstalling": frozenset({Status.UNINSTALLING}),
}


def statuses_of(filters: list[str] | tuple[str, ...]) -> frozenset[Status] | None:
    """The statuses the named ``STATUS_FILTERS`` select together; None when none is named."""
    if not filters:
        return None
    return frozenset().union(*(STATUS_FILTERS[name] for name in filters))


@dataclass(frozen=True)
class ListOptions:
    show_all: bool = False  # every status, not just DEFAULT_STATUSES
    filter_text: str | None = None  # a regular expression release names must match
    statuses: frozenset[Status] | None = None  # only these (statuses_of); None: DEFAULT_STATUSES, or all


@dataclass
class ReleaseList:
    releases: list[Release]
    skipped: list[ReleaseError] = field(default_factory=list)  # corrupt records, left out of the listing


def list_releases(config: Configuration, options: ListOptions) -> ReleaseList:
    """The releases to list; a corrupt record is skipped (and named) instead of failing the listing."""
    import re

    skipped: list[ReleaseError] = []
    if options.statuses == {Status.SUPERSEDED} and not options.show_all:
        # a latest revision is never superseded: as Helm, --superseded alone lists earlier revisions
        revisions = config.storage.driver.query(problems=skipped)
        releases = sorted(revisions, key=lambda r: (r.namespace, r.name, r.revision))
    else:
        releases = config.storage.list_releases(problems=skipped)
    wanted = None if options.show_all else options.statuses or DEFAULT_STATUSES
    if wanted is not None:
        releases = [r for r in releases if r.status in wanted]
    if options.filter_text:
        pattern = re.compile(options.filter_text)
        releases = [r for r in releases if pattern.search(r.name)]
    return ReleaseList(releases, skipped)


def helm_time(stamp: str) -> str:
    """Go's default time format, as ``helm list`` prints it: ``2024-01-02 15:04:05.123456 +0000 UTC``."""
    if not stamp:
        return ""
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f +0000 UTC")


def release_row(release: Release) -> dict[str, Any]:
    """The fields ``helm list -o json`` prints (revision is a string there too)."""
    return {
        "name": release.name,
        "namespace": release.namespace,
        "revision": str(release.revision),
        "updated": helm_time(release.last_deployed),
        "status": release.status.value,
        "chart": release.chart.label,
        "app_version": release.chart.app_version or "",
    }
