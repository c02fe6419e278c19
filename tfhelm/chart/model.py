"""The chart as plain data: metadata from Chart.yaml, default values, schema, templates, files.

Nothing here reads the disk or renders; :mod:`tfhelm.chart.loader` builds these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Chart", "Dependency", "Maintainer", "Metadata"]


@dataclass(frozen=True)
class Maintainer:
    name: str
    email: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Dependency:
    """One entry of Chart.yaml ``dependencies`` (resolved by ``tfhelm dependency``)."""

    name: str
    version: str | None = None
    repository: str | None = None
    condition: str | None = None
    tags: tuple[str, ...] = ()
    alias: str | None = None
    enabled: bool | None = None
    import_values: tuple[Any, ...] = ()

    @property
    def values_key(self) -> str:
        """The key of the parent's values that configures this subchart."""
        return self.alias or self.name


@dataclass(frozen=True)
class Metadata:
    """Validated Chart.yaml. ``raw`` keeps the mapping as written, for templates' ``Chart``."""

    api_version: str
    name: str
    version: str
    app_version: str | None = None
    description: str | None = None
    kube_version: str | None = None
    type: str = "application"
    keywords: tuple[str, ...] = ()
    maintainers: tuple[Maintainer, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict)
    dependencies: tuple[Dependency, ...] = ()
    home: str | None = None
    sources: tuple[str, ...] = ()
    icon: str | None = None
    deprecated: bool = False
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Chart:
    """A loaded chart.

    ``templates`` maps chart-relative paths (``templates/x.yaml``) to their text; ``files`` maps
    every other chart-relative path to its bytes (what templates read through ``Files``).
    ``subcharts`` are the charts found under ``charts/``; ``raw_files`` is every file of the
    chart as loaded (subcharts included), which is what a package archives.
    """

    metadata: Metadata
    values: dict[str, Any]
    schema: dict[str, Any] | None
    templates: dict[str, str]
    files: dict[str, bytes]
    source: str
    subcharts: list[Chart] = field(default_factory=list)
    lock: dict[str, Any] | None = None
    raw_files: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def readme(self) -> str | None:
        """The top-level README (``README.md``, ``README.txt`` or ``README``, any case, as Helm)."""
        by_name = {path.lower(): path for path in self.files if "/" not in path}
        for name in ("readme.md", "readme.txt", "readme"):
            if name in by_name:
                return self.files[by_name[name]].decode("utf-8", errors="replace")
        return None

    @property
    def notes_template(self) -> str | None:
        """The path of the NOTES.txt template, when the chart has one."""
        return "templates/NOTES.txt" if "templates/NOTES.txt" in self.templates else None
