"""Release records and where they are kept.

A :class:`Release` is one revision of an installed chart: what was rendered, with which
values, and how that went (its :class:`Status`, Helm's words). :class:`Storage` keeps them in a
driver (Kubernetes Secrets in the release's namespace, or memory for tests) and prunes history;
:mod:`tfhelm.release.lock` makes sure one operation at a time changes a release.
"""

from __future__ import annotations

from tfhelm.release.record import ChartInfo, Release, Status, redact_values
from tfhelm.release.storage import MemoryDriver, SecretsDriver, Storage

__all__ = ["ChartInfo", "MemoryDriver", "Release", "SecretsDriver", "Status", "Storage", "redact_values"]
