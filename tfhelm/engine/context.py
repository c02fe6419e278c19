"""What templates see: ``Values``, ``Chart``, ``Release``, ``Capabilities``, ``Files``, ``Template``,
and ``previous_object`` (see :mod:`tfhelm.engine.previous`)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from tfhelm.chart.model import Chart
from tfhelm.engine.previous import PreviousRevision

__all__ = [
    "DEFAULT_API_VERSIONS",
    "DEFAULT_KUBE_VERSION",
    "Capabilities",
    "Files",
    "KubeVersion",
    "ReleaseInfo",
    "template_context",
]

DEFAULT_KUBE_VERSION = "1.33.0"
DEFAULT_API_VERSIONS = (
    "v1",
    "admissionregistration.k8s.io/v1",
    "apiextensions.k8s.io/v1",
    "apiregistration.k8s.io/v1",
    "apps/v1",
    "authentication.k8s.io/v1",
    "authorization.k8s.io/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "certificates.k8s.io/v1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "events.k8s.io/v1",
    "networking.k8s.io/v1",
    "node.k8s.io/v1",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1",
)


@dataclass(frozen=True)
class ReleaseInfo:
    """The release a chart is rendered for (``Release`` in templates)."""

    name: str
    namespace: str = "default"
    revision: int = 1
    is_install: bool = True
    is_upgrade: bool = False
    service: str = "tfhelm"

    def as_context(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "revision": self.revision,
            "isInstall": self.is_install,
            "isUpgrade": self.is_upgrade,
            "service": self.service,
        }


@dataclass(frozen=True)
class KubeVersion:
    """``Capabilities.kubeVersion``: prints as ``v1.33.0``; has ``major``, ``minor``, ``version``."""

    major: str
    minor: str
    patch: str = "0"

    @classmethod
    def parse(cls, text: str) -> KubeVersion:
        from tfhelm.errors import UsageError

        parts = text.strip().lstrip("v").split("-")[0].split("+")[0].split(".")
        if not 2 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
            raise UsageError(
                f"invalid Kubernetes version {text!r}: expected MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. 1.30"
            )
        return cls(*parts)

    @property
    def version(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"

    @property
    def semver(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __str__(self) -> str:
        return self.version


@dataclass(frozen=True)
class Capabilities:
    """``Capabilities``: the Kubernetes version and API versions templates may branch on."""

    kube_version: KubeVersion = field(default_factory=lambda: KubeVersion.parse(DEFAULT_KUBE_VERSION))
    api_versions: tuple[str, ...] = DEFAULT_API_VERSIONS

    def as_context(self) -> dict[str, Any]:
        return {"kubeVersion": self.kube_version, "apiVersions": ApiVersions(self.api_versions)}


class ApiVersions(tuple):
    """A tuple of ``group/version`` strings with Helm's ``has``."""

    def has(self, api_version: str) -> bool:
        return api_version in self


class Files:
    """``Files``: read the chart's non-template files (README.md, config files, …)."""

    def __init__(self, files: dict[str, bytes]):
        self._files = files

    def get(self, name: str) -> str:
        """The file's text, or an empty string when there is no such file (as in Helm)."""
        data = self._files.get(name)
        return "" if data is None else data.decode("utf-8", errors="replace")

    def get_bytes(self, name: str) -> bytes:
        return self._files.get(name, b"")

    def glob(self, pattern: str) -> dict[str, str]:
        """Files whose path matches a shell-style pattern, as ``{path: text}`` in path order."""
        return {name: self.get(name) for name in sorted(self._files) if fnmatch.fnmatchcase(name, pattern)}

    def lines(self, name: str) -> list[str]:
        return self.get(name).splitlines()

    def names(self) -> list[str]:
        return sorted(self._files)


def template_context(
    chart: Chart,
    values: dict[str, Any],
    release: ReleaseInfo,
    capabilities: Capabilities,
    previous: PreviousRevision | None = None,
) -> dict[str, Any]:
    """The variables every template of ``chart`` is rendered with."""
    chart_context = {"apiVersion": "v2", "type": "application", **chart.metadata.raw}
    return {
        "Values": values,
        "Chart": chart_context,
        "Release": release.as_context(),
        "Capabilities": capabilities.as_context(),
        "Files": Files(chart.files),
        "previous_object": (previous or PreviousRevision(namespace=release.namespace)).find,
    }
