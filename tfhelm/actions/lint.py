"""``tfhelm lint``: check a chart from Chart.yaml to the Kubernetes schema of every object.

Lint collects findings instead of stopping at the first: each step that can run does, and a
step whose input failed is skipped (a chart that does not load cannot be rendered).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tfhelm.actions.common import build_capabilities, locate_chart
from tfhelm.chart.crds import CrdFile
from tfhelm.chart.model import Chart
from tfhelm.engine import Manifest, ReleaseInfo, render_tree
from tfhelm.errors import ChartError, RenderError, SchemaError, TfhelmError, ValuesError
from tfhelm.values.options import ValueOptions
from tfhelm.values.tree import chart_values

__all__ = ["Finding", "LintOptions", "LintReport", "run_lint"]

ERROR, WARNING, INFO = "ERROR", "WARNING", "INFO"


@dataclass(frozen=True)
class Finding:
    severity: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"[{self.severity}] {self.path}: {self.message}"


@dataclass
class LintReport:
    chart: str
    strict: bool = False
    findings: list[Finding] = field(default_factory=list)
    objects_checked: int = 0
    kube_version: str = ""

    def add(self, severity: str, path: str, message: str) -> None:
        self.findings.append(Finding(severity, path, message))

    def count(self, severity: str) -> int:
        return sum(finding.severity == severity for finding in self.findings)

    def error_count(self, strict: bool | None = None) -> int:
        strict = self.strict if strict is None else strict
        return self.count(ERROR) + (self.count(WARNING) if strict else 0)

    @property
    def failed(self) -> bool:
        return self.error_count() > 0


@dataclass(frozen=True)
class LintOptions:
    chart: str
    values: ValueOptions = field(default_factory=ValueOptions)
    kube_version: str | None = None
    strict: bool = False
    namespace: str = "default"


def run_lint(options: LintOptions) -> LintReport:
    """Lint one chart and return every finding (the caller prints them and sets the exit code)."""
    report = LintReport(chart=options.chart, strict=options.strict)
    capabilities = build_capabilities(options.kube_version)
    report.kube_version = capabilities.kube_version.version
    try:
        chart = locate_chart(options.chart)
    except ChartError as error:
        report.add(ERROR, "Chart.yaml", str(error))
        return report
    report.chart = chart.name
    _check_metadata(chart, report)
    manifests = _render(chart, options, capabilities, report)
    if manifests is not None:
        _check_crds_in_templates(manifests, report)
        _check_exposure(manifests, report)
        _check_objects(manifests, capabilities.kube_version, report)
    return report


def _check_metadata(chart: Chart, report: LintReport) -> None:
    if not chart.metadata.icon:
        report.add(INFO, "Chart.yaml", "icon is recommended")
    if chart.schema is None:
        report.add(WARNING, "values.schema.json", "the chart has no values schema: typos in values go unnoticed")
    if "templates/NOTES.txt" not in chart.templates:
        report.add(INFO, "templates/NOTES.txt", "NOTES.txt is recommended: it tells users what they installed")


def _render(chart: Chart, options: LintOptions, capabilities, report: LintReport) -> list[Manifest] | None:
    try:
        tree = chart_values(chart, options.values.user_values())
        release = ReleaseInfo("release-name", namespace=options.namespace)
        result = render_tree(tree, release=release, capabilities=capabilities)
        _check_crds(result.crds, report)
        return result.manifests
    except SchemaError as error:
        for path, message in error.violations:
            report.add(ERROR, "values", f"{path}: {message}")
    except ChartError as error:
        report.add(ERROR, "Chart.yaml", str(error))
    except (ValuesError, RenderError) as error:
        report.add(ERROR, getattr(error, "template", None) or "values", str(error))
    return None


def _check_crds(crds: list[CrdFile], report: LintReport) -> None:
    """Every file of crds/ must hold only CustomResourceDefinitions (install refuses anything else)."""
    for crd in crds:
        try:
            crd.objects()
        except ChartError as error:
            report.add(ERROR, "crds", str(error))


def _check_crds_in_templates(manifests: list[Manifest], report: LintReport) -> None:
    """A CRD rendered from templates/ is a release object: uninstall deletes it, and every custom
    resource of its kind with it (Helm's behaviour too). Say so, unless it is annotated keep."""
    from tfhelm.actions.objects import is_kept

    for manifest in manifests:
        if manifest.kind == "CustomResourceDefinition" and not is_kept(manifest.object):
            report.add(
                WARNING,
                f"{manifest.source}: {manifest.describe()}",
                "a CRD in templates/ is deleted with the release, and every custom resource of its kind with it: "
                "move it to crds/ (created on install, never deleted) or annotate it helm.sh/resource-policy: keep",
            )


def _check_exposure(manifests: list[Manifest], report: LintReport) -> None:
    """A LoadBalancer open to the whole internet is rarely meant: say so."""
    for manifest in manifests:
        spec = manifest.object.get("spec") or {}
        open_to_all = not spec.get("loadBalancerSourceRanges")
        if manifest.kind == "Service" and spec.get("type") == "LoadBalancer" and open_to_all:
            report.add(
                WARNING,
                f"{manifest.source}: {manifest.describe()}",
                "a LoadBalancer without loadBalancerSourceRanges is reachable from anywhere: "
                "list the networks that may reach it",
            )


def _check_objects(manifests: list[Manifest], kube_version, report: LintReport) -> None:
    from tfhelm.errors import SchemaUnavailable, UnknownKind
    from tfhelm.kubeschema import check_object, schema_version_for

    major, minor = int(kube_version.major), int(kube_version.minor)
    try:
        used = schema_version_for(major, minor)
    except SchemaUnavailable as error:
        report.add(WARNING if "not installed" in str(error) else ERROR, "kubernetes", str(error))
        return
    if used != (major, minor):
        report.add(
            INFO,
            "kubernetes",
            f"no schemas for Kubernetes {major}.{minor}: objects are checked against {used[0]}.{used[1]}, "
            "the newest older version available",
        )
    for manifest in manifests:
        where = f"{manifest.source}: {manifest.describe()}"
        try:
            problems = check_object(manifest.object, major, minor)
        except UnknownKind:
            report.add(
                WARNING,
                where,
                f"no schema for {manifest.api_version} {manifest.kind} in Kubernetes {major}.{minor} "
                "(a custom resource, or an API this version does not serve)",
            )
            continue
        except SchemaUnavailable as error:
            report.add(WARNING if "not installed" in str(error) else ERROR, "kubernetes", str(error))
            return
        except TfhelmError as error:  # pragma: no cover - defensive
            report.add(ERROR, where, str(error))
            continue
        report.objects_checked += 1
        for problem in problems:
            report.add(ERROR, f"{where}: {problem.path}", problem.message)
