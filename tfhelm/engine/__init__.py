"""The engine: a chart's values tree in, sorted Kubernetes manifests and notes out.

Which subcharts render and with which values is decided by :mod:`tfhelm.values.tree`; the
engine renders each chart of that tree with the values it is given.

>>> from tfhelm import load_chart, merge_values, render       # doctest: +SKIP
>>> chart = load_chart("charts/tf-cluster")                    # doctest: +SKIP
>>> result = render(chart, merge_values(chart.values), release=ReleaseInfo("demo"))  # doctest: +SKIP
>>> print(result.manifest_text)                                # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfhelm.chart.crds import CrdFile, chart_crd_files
from tfhelm.chart.model import Chart
from tfhelm.engine.budget import RenderBudget
from tfhelm.engine.context import Capabilities, KubeVersion, ReleaseInfo, template_context
from tfhelm.engine.manifests import Manifest, format_manifests, parse_manifests, sort_manifests
from tfhelm.engine.previous import PreviousRevision
from tfhelm.engine.render import RenderedTemplate, render_templates
from tfhelm.errors import ChartError, RenderError
from tfhelm.values.tree import ValuesTree, values_tree

__all__ = [
    "Capabilities",
    "KubeVersion",
    "Manifest",
    "PreviousRevision",
    "ReleaseInfo",
    "RenderResult",
    "render",
    "render_tree",
]

NOTES = "templates/NOTES.txt"


@dataclass(frozen=True)
class RenderResult:
    """What rendering produced: manifests in install order, the notes, and the values used."""

    manifests: list[Manifest]
    notes: str | None
    values: dict[str, Any]
    templates: list[RenderedTemplate] = field(default_factory=list)
    chart_name: str = ""
    crds: list[CrdFile] = field(default_factory=list)  # crds/ of every enabled chart, never templated

    @property
    def crds_text(self) -> str:
        """The ``crds/`` files as ``template --include-crds`` prints them, before the manifests (Helm's form)."""
        return "".join(f"---\n# Source: {crd.source}\n{crd.text}\n" for crd in self.crds)

    @property
    def manifest_text(self) -> str:
        """The YAML stream ``tfhelm template`` prints (with ``# Source:`` comments)."""
        return format_manifests(self.manifests)

    @property
    def notes_source(self) -> str:
        return f"{self.chart_name}/{NOTES}"


def render(
    chart: Chart,
    values: dict[str, Any],
    *,
    release: ReleaseInfo | None = None,
    capabilities: Capabilities | None = None,
    show_only: list[str] | None = None,
    previous: PreviousRevision | None = None,
) -> RenderResult:
    """Render ``chart`` (and its enabled subcharts) with ``values`` merged over its defaults
    (``tfhelm.merge_values``); each subchart's own defaults are laid under its values here.

    ``show_only`` limits the output to templates named like ``templates/x.yaml``. ``previous`` is
    the release's previous revision, which templates read with ``previous_object`` (on upgrade).
    """
    tree = values_tree(chart, values)
    return render_tree(tree, release=release, capabilities=capabilities, show_only=show_only, previous=previous)


def render_tree(
    tree: ValuesTree,
    *,
    release: ReleaseInfo | None = None,
    capabilities: Capabilities | None = None,
    show_only: list[str] | None = None,
    previous: PreviousRevision | None = None,
) -> RenderResult:
    """Render each chart of ``tree`` (built once by :mod:`tfhelm.values.tree`) with its values."""
    chart = tree.chart
    release = release or ReleaseInfo(chart.name)
    capabilities = capabilities or Capabilities()
    rendered: list[RenderedTemplate] = []
    notes = None
    budget = RenderBudget()
    for node in tree.nodes:
        check_kube_version(node.chart, capabilities.kube_version)
        context = template_context(node.chart, node.values, release, capabilities, previous)
        only = _only_for(node.source, chart.name, show_only)
        for template in render_templates(node.chart, context, only, node.source, budget):
            if template.name != NOTES:
                rendered.append(template)
            elif node.chart is chart:
                notes = template.text
    if show_only is not None:
        _check_show_only(show_only, chart.name, rendered)
    manifests = sort_manifests(parse_manifests(rendered))
    crds = [crd for node in tree.nodes for crd in chart_crd_files(node.chart, node.source)]
    return RenderResult(manifests, notes, tree.values, rendered, chart.name, crds)


def _only_for(root: str, top: str, show_only: list[str] | None) -> set[str] | None:
    if show_only is None:
        return None
    prefix = root[len(top) + 1 :] + "/" if root != top else ""
    return {name[len(prefix) :] for name in show_only if name.startswith(prefix)}


def _check_show_only(show_only: list[str], top: str, rendered: list[RenderedTemplate]) -> None:
    produced = {t.source[len(top) + 1 :] for t in rendered}
    for name in show_only:
        if name not in produced:
            raise RenderError(f"could not find template {name} in chart {top} (name it as templates/<file>)")


def check_kube_version(chart: Chart, kube_version: KubeVersion) -> None:
    """Refuse a chart whose ``kubeVersion`` constraint excludes the target Kubernetes version."""
    constraint_text = chart.metadata.kube_version
    if not constraint_text:
        return
    from tfhelm.versions import parse_constraint, parse_version

    if not parse_constraint(constraint_text).allows(parse_version(kube_version.semver, strict=False)):
        raise ChartError(
            f"chart {chart.name} requires kubeVersion {constraint_text}, "
            f"which is incompatible with Kubernetes {kube_version.version}"
        )
