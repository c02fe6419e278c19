"""``tfhelm get values|manifest|notes|all``: what a revision's record holds."""

from __future__ import annotations

from dataclasses import dataclass

from tfhelm.actions.configuration import Configuration
from tfhelm.release import Release

__all__ = ["GetOptions", "get_release"]


@dataclass(frozen=True)
class GetOptions:
    name: str
    revision: int | None = None  # the latest when None


def get_release(config: Configuration, options: GetOptions) -> Release:
    """The record (values already redacted where the schema says ``writeOnly``)."""
    return config.storage.get(options.name, options.revision)
