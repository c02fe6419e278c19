"""What the command modules share: flag groups, and turning parsed flags into the actions' inputs.

Every command follows one convention: it builds its action's options object from the parsed
flags (with the builders here for the shared groups), calls the action (after a
:class:`~tfhelm.actions.configuration.Configuration` when it reaches a cluster), and prints the
result with :mod:`tfhelm.cli.output`. The command modules import this module and ``output``,
never ``app``, which only assembles the command tree. Where a chart comes from and how to reach
it (version, prereleases, plain HTTP, TLS, credentials, and with ``--verify`` the keyring its
signature must verify against) is declared once here as flags and becomes one
:class:`~tfhelm.chartsource.ChartSource`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from tfhelm.actions.configuration import Configuration
    from tfhelm.actions.deploy import DeployOptions
    from tfhelm.chartsource import ChartSource
    from tfhelm.values.options import ValueOptions

__all__ = [
    "CONTEXT_SETTINGS",
    "DryRunCommand",
    "Duration",
    "capabilities_flags",
    "chart_source_flags",
    "chart_source_from",
    "cluster_flags",
    "compose",
    "configuration",
    "deploy_flags",
    "deploy_options",
    "dry_run",
    "dry_run_flags",
    "name_and_chart",
    "output_flag",
    "read_password",
    "registry_tls_flags",
    "release_status_flags",
    "revision_flag",
    "skip_crds_flag",
    "take_ownership_flag",
    "tls_flags",
    "value_flags",
    "value_options_from",
    "verify_flags",
    "verify_keyring_from",
    "with_display",
]

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def compose(*decorators: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def apply(function: Any) -> Any:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


value_flags = compose(
    click.option(
        "-f",
        "--values",
        "value_files",
        multiple=True,
        metavar="FILE",
        help="Values file (YAML) laid over the chart's defaults; repeat for several; '-' reads stdin.",
    ),
    click.option(
        "--set",
        "set_values",
        multiple=True,
        metavar="KEY=VAL",
        help="Set values on the command line (a.b=c, a[0]=x, k={x,y}); typed like Helm.",
    ),
    click.option(
        "--set-string",
        "string_values",
        multiple=True,
        metavar="KEY=VAL",
        help="Like --set, but every value stays a string.",
    ),
    click.option(
        "--set-file", "file_values", multiple=True, metavar="KEY=PATH", help="Set a value to the contents of a file."
    ),
    click.option(
        "--set-json",
        "json_values",
        multiple=True,
        metavar="KEY=JSON",
        help="Set a value to a JSON value (object, list, number, string …).",
    ),
    click.option(
        "--set-literal",
        "literal_values",
        multiple=True,
        metavar="KEY=VAL",
        help="Set one value to the literal text after '=' (no commas or escapes parsed).",
    ),
)

capabilities_flags = compose(
    click.option("--kube-version", metavar="VERSION", help="Kubernetes version to render for (e.g. 1.30)."),
    click.option(
        "--api-versions",
        "api_versions",
        multiple=True,
        metavar="GROUP/VERSION",
        help="Extra API version available to Capabilities.apiVersions; repeatable.",
    ),
)

tls_flags = compose(
    click.option(
        "--insecure-skip-tls-verify", is_flag=True, help="Do not verify the server's TLS certificate (unsafe)."
    ),
    click.option(
        "--ca-file",
        type=click.Path(exists=True, dir_okay=False),
        help="Verify the server's certificate with this CA bundle.",
    ),
)
registry_tls_flags = compose(
    click.option(
        "--plain-http", is_flag=True, help="Talk plain HTTP to an OCI registry (no TLS), e.g. a local test registry."
    ),
    tls_flags,
)
chart_source_flags = compose(
    click.option(
        "--version", "chart_version", metavar="CONSTRAINT", help="Chart version constraint (repository and OCI charts)."
    ),
    click.option("--devel", is_flag=True, help="Allow prerelease chart versions from repositories and registries."),
    registry_tls_flags,
)

verify_flags = compose(
    click.option(
        "--verify",
        is_flag=True,
        help="Refuse the chart unless its .prov signature is good, by a key of --keyring, for these exact bytes.",
    ),
    click.option(
        "--keyring",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="PATH",
        help="Public keys trusted by --verify (gpg --export output; default: ~/.gnupg/pubring.gpg).",
    ),
)


def verify_keyring_from(params: dict[str, Any]) -> Path | None:
    """The keyring charts must verify against (``--keyring`` or Helm's default); None without ``--verify``."""
    if not params.get("verify"):
        return None
    from tfhelm.chart.provenance import default_keyring

    return params.get("keyring") or default_keyring()


def value_options_from(params: dict[str, Any]) -> ValueOptions:
    """Build ValueOptions from the parsed values flags of a command."""
    from tfhelm.values.options import ValueOptions

    return ValueOptions(
        value_files=tuple(params.get("value_files") or ()),
        json_values=tuple(params.get("json_values") or ()),
        values=tuple(params.get("set_values") or ()),
        string_values=tuple(params.get("string_values") or ()),
        file_values=tuple(params.get("file_values") or ()),
        literal_values=tuple(params.get("literal_values") or ()),
    )


def name_and_chart(args: tuple[str, ...]) -> tuple[str | None, str]:
    """Split ``[NAME] CHART`` arguments."""
    if len(args) == 1:
        return None, args[0]
    if len(args) == 2:
        return args[0], args[1]
    raise click.UsageError(f"expected [NAME] CHART, got {len(args)} arguments: {' '.join(args)}")


def read_password(username: str | None, from_stdin: bool) -> str | None:
    """The password for ``username``: standard input with ``--password-stdin``, else a hidden prompt."""
    import sys

    if from_stdin:
        if not username:
            raise click.UsageError("--password-stdin needs --username")
        return sys.stdin.read().rstrip("\r\n")
    if username and sys.stdin.isatty():
        return click.prompt("Password", hide_input=True)
    if username:
        raise click.UsageError("give the password on standard input with --password-stdin")
    return None


def chart_source_from(params: dict[str, Any], *, password: str | None = None) -> ChartSource:
    """The :class:`ChartSource` of whichever chart-source, TLS, credential and verify flags a command has."""
    from tfhelm.chartsource import ChartSource

    return ChartSource(
        version=params.get("chart_version"),
        devel=bool(params.get("devel")),
        plain_http=bool(params.get("plain_http")),
        insecure_skip_tls_verify=bool(params.get("insecure_skip_tls_verify")),
        ca_file=params.get("ca_file"),
        username=params.get("username"),
        password=password,
        pass_credentials_all=bool(params.get("pass_credentials_all")),
        verify_keyring=verify_keyring_from(params),
    )


class Duration(click.ParamType):
    """Helm's durations (``90s``, ``5m``, ``1h30m``), converted to seconds while parsing flags."""

    name = "DURATION"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        from tfhelm.actions.wait import parse_duration
        from tfhelm.errors import UsageError

        try:
            return parse_duration(value)
        except UsageError as error:
            self.fail(str(error), param, ctx)


cluster_flags = compose(
    click.option("-n", "--namespace", default=None, help="Namespace of the release (default: the context's)."),
    click.option(
        "--kubeconfig", default=None, metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)."
    ),
    click.option("--kube-context", default=None, metavar="NAME", help="kubeconfig context to use."),
)
deploy_flags = compose(
    click.option(
        "--wait",
        is_flag=True,
        help="Wait until every resource is ready (live table; a timeout names the unready ones).",
    ),
    click.option(
        "--timeout",
        default="5m0s",
        show_default=True,
        type=Duration(),
        help="How long --wait waits (90s, 5m, 1h30m; 0s checks readiness once).",
    ),
    click.option(
        "--wait-for-jobs",
        is_flag=True,
        help="With --wait (implied): Jobs must complete; a failed Job fails at once.",
    ),
    click.option(
        "--atomic",
        "--rollback-on-failure",
        "atomic",
        is_flag=True,
        help="On failure, undo: uninstall a failed install, roll back a failed upgrade. Implies --wait.",
    ),
    click.option(
        "--cleanup-on-fail",
        is_flag=True,
        help="On failure, delete the objects this operation created (the failed revision stays recorded).",
    ),
    click.option("--force-conflicts", is_flag=True, help="Take ownership of fields another field manager set."),
    click.option("--description", default=None, help="Description recorded with the revision."),
    click.option(
        "--history-max", default=10, show_default=True, type=int, help="Revisions kept per release (0: no limit)."
    ),
    click.option("--skip-schema-validation", is_flag=True, help="Do not validate values against values.schema.json."),
)
take_ownership_flag = click.option(
    "--take-ownership",
    is_flag=True,
    help="Adopt objects that already exist but are not managed by this release (default: refuse).",
)
skip_crds_flag = click.option(
    "--skip-crds",
    is_flag=True,
    help="Do not create the CRDs of the chart's crds/ (by default those the cluster lacks are created on install).",
)
output_flag = click.option(
    "-o", "--output", type=click.Choice(["table", "json", "yaml"]), default="table", show_default=True
)


def _status_flag(name: str, help_text: str) -> Callable[[Any], Any]:
    return click.option(f"--{name}", "statuses", flag_value=name, multiple=True, help=help_text)


# ``list``'s status filters (Helm's): each adds its statuses; together they replace the default
release_status_flags = compose(
    _status_flag("deployed", "Show deployed releases."),
    _status_flag("failed", "Show failed releases."),
    _status_flag("pending", "Show pending releases (pending-install, -upgrade, -rollback)."),
    _status_flag("superseded", "Show superseded revisions."),
    _status_flag("uninstalled", "Show uninstalled releases (uninstall --keep-history)."),
    _status_flag("uninstalling", "Show releases being uninstalled."),
)
revision_flag = click.option("--revision", type=int, default=None, help="Revision to show (default: the latest).")


def configuration(params: dict[str, Any], *, all_namespaces: bool = False) -> Configuration:
    """The release storage and cluster client the cluster flags point at."""
    from tfhelm.actions.configuration import Configuration

    return Configuration.connect(
        kubeconfig=params.get("kubeconfig"),
        context=params.get("kube_context"),
        namespace=params.get("namespace"),
        all_namespaces=all_namespaces,
    )


def deploy_options(params: dict[str, Any], display: Any = None, counts: list | None = None) -> DeployOptions:
    """What the deploy flags ask for; progress goes to ``display``, warnings to stderr and what the
    apply did (created, changed, unchanged, deleted) is appended to ``counts``."""
    from tfhelm.actions.deploy import DeployOptions
    from tfhelm.cli.output import echo

    return DeployOptions(
        wait=params.get("wait", False) or params.get("atomic", False) or params.get("wait_for_jobs", False),
        timeout=params.get("timeout", 300.0),  # 0s means check once, not the default
        wait_for_jobs=params.get("wait_for_jobs", False),
        atomic=params.get("atomic", False),
        force_conflicts=params.get("force_conflicts", False),
        history_max=params.get("history_max", 10),
        description=params.get("description"),
        skip_schema_validation=params.get("skip_schema_validation", False),
        take_ownership=params.get("take_ownership", False),
        cleanup_on_fail=params.get("cleanup_on_fail", False),
        skip_crds=params.get("skip_crds", False),
        on_progress=display,
        on_warning=lambda message: echo(f"WARNING: {message}", err=True),
        on_counts=counts.append if counts is not None else None,
    )


def with_display(run: Callable[[Any], Any]) -> Any:
    """Run ``run(display)`` with the live ``--wait`` table, closed whatever happens."""
    from tfhelm.cli.release_output import WaitDisplay

    display = WaitDisplay()
    try:
        return run(display)
    finally:
        display.close()


class DryRunCommand(click.Command):
    """``--dry-run`` is a flag (client); a mode is given only as ``--dry-run=client|server|none``.

    A separate value would swallow the next argument (``install --dry-run NAME CHART``), so the
    ``=`` form is rewritten to a hidden ``--dry-run-mode`` before click parses."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten, rest = [], list(args)
        while rest:
            arg = rest.pop(0)
            if arg == "--":
                rewritten += [arg, *rest]
                break
            rewritten.append("--dry-run-mode=" + arg.partition("=")[2] if arg.startswith("--dry-run=") else arg)
        return super().parse_args(ctx, rewritten)


def _dry_run_mode(value: str | None) -> str | None:
    if value is not None and value not in ("client", "server", "none"):
        raise click.BadParameter(f"{value!r} is not one of 'client', 'server', 'none'", param_hint="'--dry-run'")
    return value


dry_run_flags = compose(
    click.option(
        "--dry-run",
        "dry_run_flag",
        is_flag=True,
        help="Simulate: render and plan (client). --dry-run=server also sends a server-side dry-run apply; "
        "--dry-run=none does not simulate.",
    ),
    click.option(
        "--dry-run-mode",
        "dry_run_mode",
        default=None,
        hidden=True,
        callback=lambda ctx, param, value: _dry_run_mode(value),
    ),
)


def dry_run(params: dict[str, Any]) -> str | None:
    """None (really run), "client" or "server"; takes the dry-run flags out of ``params``."""
    mode = params.pop("dry_run_mode", None) or ("client" if params.pop("dry_run_flag", False) else None)
    params.pop("dry_run_flag", None)
    return None if mode == "none" else mode
