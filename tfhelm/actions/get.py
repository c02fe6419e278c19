"""``tfhelm get values|manifest|notes|all``: what a revision's record holds."""

from __future__ import annotations

from tfhelm.actions.configuration import Configuration
from tfhelm.release import Release

__all__ = ["get_release"]


def get_release(config: Configuration, name: str, *, revision: int | None = None) -> Release:
    """The record (values already redacted where the schema says ``writeOnly``)."""
    return config.storage.get(name, revision)
