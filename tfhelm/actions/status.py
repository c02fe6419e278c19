"""``tfhelm status``: one revision's record, optionally with the live state of its objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.objects import summary_ref
from tfhelm.actions.wait import ResourceState, current_states
from tfhelm.release import Release

__all__ = ["ReleaseStatus", "status"]


@dataclass
class ReleaseStatus:
    release: Release
    resources: list[ResourceState] = field(default_factory=list)


def status(
    config: Configuration, name: str, *, revision: int | None = None, show_resources: bool = False
) -> ReleaseStatus:
    release = config.storage.get(name, revision)
    result = ReleaseStatus(release)
    if show_resources:
        result.resources = current_states(config.kube, [summary_ref(s) for s in release.objects])
    return result
