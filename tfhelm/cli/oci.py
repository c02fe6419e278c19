"""OCI registry commands: ``tfhelm push`` and ``tfhelm registry login|logout``.

``cli/app.py`` adds ``COMMANDS`` to the ``tfhelm`` group.
Nothing here imports httpx until a command runs.
"""

from __future__ import annotations

import click

from tfhelm.cli.options import CONTEXT_SETTINGS, chart_source_from, read_password, registry_tls_flags
from tfhelm.cli.output import echo

__all__ = ["COMMANDS"]


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("archive", metavar="CHART.tgz")
@click.argument("destination", metavar="oci://HOST/PATH")
@registry_tls_flags
def push(archive: str, destination: str, **params) -> None:
    """Push a packaged chart to an OCI registry as HOST/PATH/NAME:VERSION.

    `tfhelm push tf-cluster-1.4.0.tgz oci://registry.example.com/charts`
    """
    from tfhelm.actions.push import PushOptions, run_push

    result = run_push(PushOptions(archive, destination, chart_source_from(params)))
    echo(f"Pushed: {result.reference}")
    echo(f"Digest: {result.digest}")


@click.group(context_settings=CONTEXT_SETTINGS)
def registry() -> None:
    """Log in to or out of OCI registries."""


@registry.command(context_settings=CONTEXT_SETTINGS)
@click.argument("host")
@click.option("-u", "--username", required=True, help="Registry username.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--insecure",
    "insecure_skip_tls_verify",
    is_flag=True,
    help="Do not verify the registry's TLS certificate (remembered for this host).",
)
@click.option("--plain-http", is_flag=True, help="Use plain HTTP for this host (remembered for this host).")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), help="CA bundle to verify the registry with.")
def login(host: str, password_stdin: bool, **params) -> None:
    """Check credentials against a registry and store them for later pushes and pulls.

    `echo "$TOKEN" | tfhelm registry login registry.example.com -u ci --password-stdin`
    """
    from tfhelm.actions.registry import LoginOptions, registry_login

    registry_login(
        LoginOptions(host, chart_source_from(params, password=read_password(params["username"], password_stdin)))
    )
    echo("Login succeeded")


@registry.command(context_settings=CONTEXT_SETTINGS)
@click.argument("host")
def logout(host: str) -> None:
    """Forget the stored credentials of a registry."""
    from tfhelm.actions.registry import LogoutOptions, registry_logout

    echo(f"Removed login credentials for {registry_logout(LogoutOptions(host))}")


COMMANDS = (push, registry)
