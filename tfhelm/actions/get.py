"""``tfhelm get values|manifest|notes|all|metadata``: what a revision's record holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfhelm.actions.configuration import Configuration
from tfhelm.release import Release

__all__ = ["GetOptions", "get_release", "release_metadata"]


@dataclass(frozen=True)
class GetOptions:
    name: str
    revision: int | None = None  # the latest when None


def get_release(config: Configuration, options: GetOptions) -> Release:
    """The record (values already redacted where the schema says ``writeOnly``)."""
    return config.storage.get(options.name, options.revision)


def release_metadata(release: Release) -> dict[str, Any]:
    """``helm get metadata``'s fields, in its order and with its JSON names.

    ``applyMethod`` is always server-side apply (tfhelm never applies client-side); tfhelm has no
    release labels of its own (Helm's ``--labels``), so ``labels`` is left out as Helm does when empty.
    """
    chart = release.chart
    document: dict[str, Any] = {
        "name": release.name,
        "chart": chart.name,
        "version": chart.version,
        "appVersion": chart.app_version or "",
    }
    if chart.annotations:
        document["annotations"] = dict(chart.annotations)
    if chart.dependencies:
        document["dependencies"] = list(chart.dependencies)
    document.update(
        namespace=release.namespace,
        revision=release.revision,
        status=release.status.value,
        deployedAt=_rfc3339(release.last_deployed),
        applyMethod="ssa",
    )
    return document


def _rfc3339(stamp: str) -> str:
    """Go's ``time.RFC3339`` (seconds, ``Z``), as Helm writes ``deployedAt``."""
    if not stamp:
        return ""
    import datetime as dt

    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
