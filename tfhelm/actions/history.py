"""``tfhelm history``: every revision of a release, with Helm's fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.list import helm_time
from tfhelm.errors import ReleaseError
from tfhelm.release import Release

__all__ = ["HistoryOptions", "history", "history_row"]


@dataclass(frozen=True)
class HistoryOptions:
    name: str
    max_revisions: int = 256


def history(config: Configuration, options: HistoryOptions) -> list[Release]:
    """The release's last ``max_revisions`` revisions, oldest first."""
    revisions = config.storage.history(options.name)
    if not revisions:
        raise ReleaseError(f"release {options.name!r} not found in namespace {config.namespace}")
    return revisions[-options.max_revisions :]


def history_row(release: Release) -> dict[str, Any]:
    """The fields ``helm history -o json`` prints."""
    return {
        "revision": release.revision,
        "updated": helm_time(release.last_deployed),
        "status": release.status.value,
        "chart": release.chart.label,
        "app_version": release.chart.app_version or "",
        "description": release.description,
    }
