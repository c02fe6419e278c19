"""tfhelm: a Helm-style chart packager with Jinja2 templates, for distributed TensorFlow on Kubernetes.

The public API; everything else is internal. Names are imported on first use, so ``import
tfhelm`` stays cheap (the CLI's start-up time depends on it).

>>> import tfhelm
>>> chart = tfhelm.load_chart("charts/tf-cluster")                       # doctest: +SKIP
>>> values = tfhelm.merge_values(chart.values, values=["jobs.worker.tasks=8"])  # doctest: +SKIP
>>> result = tfhelm.render(chart, values, release=tfhelm.ReleaseInfo("demo"))   # doctest: +SKIP
>>> print(result.manifest_text)                                          # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from tfhelm._version import __version__

__all__ = [
    "ArchiveError",
    "Capabilities",
    "Chart",
    "ChartError",
    "ChartNotFoundError",
    "ClusterError",
    "LintError",
    "Manifest",
    "ManifestError",
    "ProvenanceError",
    "ReleaseError",
    "ReleaseInfo",
    "RenderError",
    "RenderResult",
    "RepoError",
    "SchemaError",
    "SetSyntaxError",
    "TfhelmError",
    "UsageError",
    "ValueOptions",
    "ValuesError",
    "__version__",
    "coalesce",
    "load_chart",
    "merge_values",
    "render",
    "validate_values",
]

_LOCATIONS = {
    "Capabilities": "tfhelm.engine",
    "Chart": "tfhelm.chart.model",
    "Manifest": "tfhelm.engine",
    "ReleaseInfo": "tfhelm.engine",
    "RenderResult": "tfhelm.engine",
    "ValueOptions": "tfhelm.values.options",
    "coalesce": "tfhelm.values.merge",
    "load_chart": "tfhelm.chart.loader",
    "merge_values": "tfhelm.values.options",
    "render": "tfhelm.engine",
    "validate_values": "tfhelm.values.schema",
}


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        return getattr(import_module(_LOCATIONS[name]), name)
    if name in __all__:
        return getattr(import_module("tfhelm.errors"), name)
    raise AttributeError(f"module 'tfhelm' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
