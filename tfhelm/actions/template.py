"""``tfhelm template``: render a chart locally, print it or write it to a directory.

Nothing here touches a cluster. Output is written only after everything rendered, and each
file atomically, so a failure never leaves half-written output behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tfhelm.actions.common import build_capabilities, locate_chart
from tfhelm.chartsource import ChartSource
from tfhelm.engine import ReleaseInfo, RenderResult, render_tree
from tfhelm.errors import ChartError, UsageError
from tfhelm.names import check_release_name
from tfhelm.values.options import ValueOptions
from tfhelm.values.tree import chart_values

__all__ = ["TemplateOptions", "run_template", "write_output_dir"]


@dataclass(frozen=True)
class TemplateOptions:
    chart: str
    release_name: str | None = None
    namespace: str = "default"
    values: ValueOptions = field(default_factory=ValueOptions)
    kube_version: str | None = None
    api_versions: tuple[str, ...] = ()
    show_only: tuple[str, ...] = ()
    skip_schema_validation: bool = False
    source: ChartSource = field(default_factory=ChartSource)  # which version, and how to reach it


def run_template(options: TemplateOptions) -> RenderResult:
    """Load, merge, validate and render; return the result (the CLI prints it)."""
    if options.release_name is not None:
        check_release_name(options.release_name)
    chart = locate_chart(options.chart, options.source)
    tree = chart_values(chart, options.values.user_values(), validate=not options.skip_schema_validation)
    release = ReleaseInfo(options.release_name or chart.name, namespace=options.namespace)
    capabilities = build_capabilities(options.kube_version, options.api_versions)
    show_only = [_normalize(name, chart.name) for name in options.show_only] or None
    return render_tree(tree, release=release, capabilities=capabilities, show_only=show_only)


def _normalize(name: str, chart_name: str) -> str:
    """Accept ``templates/x.yaml``, ``<chart>/templates/x.yaml`` and ``./templates/x.yaml``."""
    name = name.removeprefix("./")
    return name.removeprefix(f"{chart_name}/") if not name.startswith("templates/") else name


def write_output_dir(
    result: RenderResult, directory: str | Path, *, notes: bool = False, crds: bool = False
) -> list[Path]:
    """Write each template's documents to ``DIR/<chart>/templates/<file>`` as Helm does (with
    ``crds``, each ``crds/`` file to ``DIR/<chart>/crds/<file>``)."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--output-dir {directory} exists and is not a directory")
    contents: dict[Path, str] = {}
    for crd in result.crds if crds else []:
        contents[_inside(directory, crd.source)] = f"---\n# Source: {crd.source}\n{crd.text}\n"
    for manifest in result.manifests:
        target = _inside(directory, manifest.source)
        contents[target] = contents.get(target, "") + f"---\n# Source: {manifest.source}\n{manifest.text}\n"
    from tfhelm.fileio import write_file_atomically

    written = []
    for target, text in sorted(contents.items()):
        write_file_atomically(target, text.encode("utf-8"))
        written.append(target)
    return written


def _inside(directory: Path, source: str) -> Path:
    """``DIR/<source>``, refused (before anything is written) when it would resolve outside DIR.

    Chart.yaml validation already keeps ``..`` out of sources; this guards against whatever
    slips past it, including a link inside DIR that points elsewhere.
    """
    target = directory / source
    root = directory.resolve()
    if source.startswith("/") or not target.resolve().is_relative_to(root):
        raise ChartError(
            f"the output of {source!r} would be written to {target.resolve()}, outside --output-dir {directory}; "
            "refusing to write anything"
        )
    return target
