"""A chart's ``crds/`` directory: CustomResourceDefinitions shipped as plain YAML, never templated.

Helm's rules (``pkg/chart/v2/chart.go``'s ``CRDObjects``): every file under ``crds/`` (at any
depth) ending in ``.yaml``, ``.yml`` or ``.json`` is one CRD file, read as written; a chart's own
files come first (in path order), then those of its enabled subcharts. The files stay readable
through ``Files`` too, as in Helm. Installing them (created when absent, never upgraded or deleted)
is ``tfhelm.actions.crds``'s job; printing them is ``template --include-crds`` and ``show crds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfhelm.chart.model import Chart
from tfhelm.errors import ChartError, YamlProblem

__all__ = ["CRDS_DIR", "CRD_API_GROUP", "CrdFile", "chart_crd_files"]

CRDS_DIR = "crds/"
CRD_API_GROUP = "apiextensions.k8s.io"
_EXTENSIONS = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class CrdFile:
    """One file of a ``crds/`` directory; ``source`` names it as ``# Source:`` lines do
    (``app/crds/x.yaml``, ``app/charts/sub/crds/y.yaml``)."""

    source: str
    text: str

    def objects(self) -> list[dict[str, Any]]:
        """The CustomResourceDefinitions of the file (empty documents dropped).

        Anything else is a ChartError naming the file and document: Helm would create it
        outside the release, where nothing ever updates or deletes it.
        """
        from tfhelm.yamlio import load_yaml_documents

        objects = []
        try:
            documents = list(load_yaml_documents(self.text))
        except YamlProblem as yaml_problem:
            raise ChartError(
                f"invalid YAML: {yaml_problem.problem}", file=self.source, line=yaml_problem.line
            ) from None
        for number, document in enumerate(documents, start=1):
            if document is None:
                continue
            problem = _not_a_crd(document)
            if problem:
                raise ChartError(
                    f"document {number} {problem}; crds/ holds only CustomResourceDefinitions "
                    "(put other objects in templates/)",
                    file=self.source,
                )
            objects.append(document)
        return objects


def _not_a_crd(document: Any) -> str | None:
    if not isinstance(document, dict):
        return f"is a {type(document).__name__}, not a mapping"
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if kind != "CustomResourceDefinition" or not str(api_version).startswith(CRD_API_GROUP + "/"):
        return f"is {api_version} {kind}, not a {CRD_API_GROUP} CustomResourceDefinition"
    name = (document.get("metadata") or {}).get("name") if isinstance(document.get("metadata"), dict) else None
    if not isinstance(name, str) or not name:
        return "has no metadata.name"
    return None


def chart_crd_files(chart: Chart, source: str | None = None) -> list[CrdFile]:
    """The chart's own ``crds/`` files in path order (not its subcharts': the values tree knows
    which of those are enabled). ``source`` names the chart as the tree does (default its name)."""
    root = source or chart.name
    files = []
    for path in sorted(chart.files):
        if path.startswith(CRDS_DIR) and path.endswith(_EXTENSIONS):
            try:
                text = chart.files[path].decode("utf-8")
            except UnicodeDecodeError as error:
                raise ChartError(
                    f"not UTF-8 text ({error.reason} at byte {error.start})", file=f"{root}/{path}"
                ) from None
            files.append(CrdFile(f"{root}/{path}", text))
    return files
