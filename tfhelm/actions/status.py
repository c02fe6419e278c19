"""``tfhelm status``: one revision's record, optionally with the live state of its objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.objects import summary_ref
from tfhelm.actions.wait import ResourceState, current_states
from tfhelm.release import Release

__all__ = ["ReleaseStatus", "StatusOptions", "status"]


@dataclass(frozen=True)
class StatusOptions:
    name: str
    revision: int | None = None  # the latest when None
    show_resources: bool = False  # read the live state of the release's objects


@dataclass
class ReleaseStatus:
    release: Release
    resources: list[ResourceState] = field(default_factory=list)


def status(config: Configuration, options: StatusOptions) -> ReleaseStatus:
    release = config.storage.get(options.name, options.revision)
    result = ReleaseStatus(release)
    if options.show_resources:
        result.resources = current_states(config.kube, [summary_ref(s) for s in release.objects])
    return result
