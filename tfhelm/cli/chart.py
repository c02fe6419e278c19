"""Chart commands: ``create``, ``template``, ``lint``, ``show chart|values|readme|schema|all``, ``version``."""

from __future__ import annotations

from pathlib import Path

import click

from tfhelm.cli.options import (
    CONTEXT_SETTINGS,
    capabilities_flags,
    chart_source_flags,
    chart_source_from,
    name_and_chart,
    value_flags,
    value_options_from,
)
from tfhelm.cli.output import echo

__all__ = ["COMMANDS"]


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("args", nargs=-1, required=True, metavar="[NAME] CHART")
@value_flags
@capabilities_flags
@click.option("-n", "--namespace", default="default", show_default=True, help="Namespace of the release.")
@click.option(
    "-s",
    "--show-only",
    multiple=True,
    metavar="TEMPLATE",
    help="Only show manifests from this template (templates/x.yaml).",
)
@click.option("--output-dir", type=click.Path(path_type=Path), help="Write each template's output to a file under DIR.")
@click.option("--include-notes", is_flag=True, help="Append the rendered NOTES.txt, as YAML comments.")
@click.option("--include-crds", is_flag=True, help="Print the files of crds/ (as written) before the manifests.")
@click.option("--skip-schema-validation", is_flag=True, help="Do not validate values against values.schema.json.")
@chart_source_flags
def template(args: tuple[str, ...], **params) -> None:
    """Render a chart locally and print the manifests.

    NAME defaults to the chart's name: `tfhelm template charts/tf-cluster -f my-values.yaml`.
    """
    from tfhelm.actions.template import TemplateOptions, run_template, write_output_dir

    name, chart = name_and_chart(args)
    result = run_template(
        TemplateOptions(
            chart=chart,
            release_name=name,
            namespace=params["namespace"],
            values=value_options_from(params),
            kube_version=params["kube_version"],
            api_versions=params["api_versions"],
            show_only=params["show_only"],
            skip_schema_validation=params["skip_schema_validation"],
            source=chart_source_from(params),
        )
    )
    include_crds = params["include_crds"] and not params["show_only"]
    if params["output_dir"] is not None:
        for path in write_output_dir(result, params["output_dir"], crds=include_crds):
            echo(f"wrote {path}")
        return
    echo((result.crds_text if include_crds else "") + result.manifest_text, nl=False)
    if params["include_notes"] and result.notes:
        commented = "".join(f"# {line}".rstrip() + "\n" for line in result.notes.rstrip("\n").split("\n"))
        echo(f"---\n# Source: {result.notes_source}\n" + commented, nl=False)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("chart")
@value_flags
@click.option("--kube-version", metavar="VERSION", help="Kubernetes version whose schemas objects are checked against.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("-n", "--namespace", default="default", show_default=True)
def lint(chart: str, **params) -> None:
    """Check a chart: Chart.yaml, schema, values, rendering and Kubernetes object schemas."""
    from tfhelm.actions.lint import LintOptions, run_lint
    from tfhelm.cli.output import print_lint_report
    from tfhelm.errors import LintError

    report = run_lint(
        LintOptions(
            chart=chart,
            values=value_options_from(params),
            kube_version=params["kube_version"],
            strict=params["strict"],
            namespace=params["namespace"],
        )
    )
    print_lint_report(report)
    if report.failed:
        raise LintError(f"{report.chart}: lint failed with {report.error_count(params['strict'])} error(s)")


@click.group(context_settings=CONTEXT_SETTINGS)
def show() -> None:
    """Show a chart's Chart.yaml, default values, README or schema."""


def _show_command(what: str, help_text: str) -> None:
    @show.command(name=what, help=help_text, context_settings=CONTEXT_SETTINGS)
    @click.argument("chart")
    @chart_source_flags
    def command(chart: str, **params) -> None:
        from tfhelm.actions.show import ShowOptions, show_chart

        echo(show_chart(ShowOptions(chart, what, chart_source_from(params))), nl=False)


for _what, _help in (
    ("chart", "Print the chart's Chart.yaml."),
    ("values", "Print the chart's default values.yaml."),
    ("readme", "Print the chart's README."),
    ("schema", "Print the chart's values.schema.json."),
    ("crds", "Print the files of the chart's crds/ (and its subcharts'), as written."),
    ("all", "Print Chart.yaml, values, README and schema."),
):
    _show_command(_what, _help)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name", type=click.Path(path_type=Path))
def create(name: Path) -> None:
    """Create a starter chart in directory NAME (a Deployment and a Service, Jinja2 templates).

    The chart is named after NAME's last component: `tfhelm create charts/web` writes
    charts/web/ with Chart.yaml, values.yaml, values.schema.json, .tfhelmignore and templates/.
    """
    from tfhelm.actions.create import CreateOptions, create_chart

    echo(f"Creating {create_chart(CreateOptions(name))}")


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("--short", is_flag=True, help="Print the version number only.")
def version(short: bool) -> None:
    """Print tfhelm's version."""
    import platform

    from tfhelm._version import __version__

    if short:
        echo(__version__)
    else:
        echo(f"tfhelm {__version__} (Python {platform.python_version()})")


COMMANDS = (create, template, lint, show, version)
