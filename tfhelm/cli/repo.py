"""Chart-sharing commands: ``package``, ``verify``, ``repo index|add|list|update|remove``, ``search repo``, ``pull``.

``cli/app.py`` adds ``COMMANDS`` to the ``tfhelm`` group.
Commands parse flags, call :mod:`tfhelm.actions.package`, :mod:`tfhelm.actions.verify`,
:mod:`tfhelm.actions.repo` or :mod:`tfhelm.actions.pull`, and print; nothing heavier than
click is imported until one runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tfhelm.cli.options import (
    CONTEXT_SETTINGS,
    chart_source_flags,
    chart_source_from,
    read_password,
    tls_flags,
    value_flags,
    value_options_from,
    verify_flags,
)
from tfhelm.cli.output import echo, terminal_safe

__all__ = ["COMMANDS"]

_OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
    help="Output format.",
)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("chart")
@click.option(
    "-d",
    "--destination",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory to write the archive to.",
)
@click.option("--version", "chart_version", metavar="VERSION", help="Set the chart's version in the package.")
@click.option("--app-version", metavar="VERSION", help="Set the chart's appVersion in the package.")
@value_flags
@click.option("--sign", is_flag=True, help="Sign the package with a PGP key: also write NAME-VERSION.tgz.prov.")
@click.option("--key", metavar="NAME", help="Signing key: a user ID, part of one, or a fingerprint (with --sign).")
@click.option(
    "--keyring",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Keyring holding the secret key (gpg --export-secret-keys output; default: ~/.gnupg/pubring.gpg).",
)
@click.option(
    "--passphrase-file", metavar="FILE", help="File whose first line is the key's passphrase; '-' reads stdin."
)
def package(chart: str, destination: Path, chart_version: str | None, app_version: str | None, **params) -> None:
    """Lint a chart directory and package it as a reproducible NAME-VERSION.tgz.

    The same chart gives byte-identical archives on any machine; set SOURCE_DATE_EPOCH to
    choose the file times (default 1970-01-01). Files matched by .tfhelmignore are left out.
    -f/--set values are only used by lint (for charts that require a value), never packaged.
    With --sign, Helm's provenance file is written beside the archive (`tfhelm verify` checks it).
    """
    from tfhelm.actions.package import PackageOptions, run_package

    result = run_package(
        PackageOptions(
            chart=chart,
            destination=destination,
            version=chart_version,
            app_version=app_version,
            values=value_options_from(params),
            sign=_sign_options(params),
        )
    )
    echo(f"Successfully packaged chart and saved it to: {result.path}")
    if result.provenance is not None:
        echo(f"Signed it: {result.provenance}")


def _sign_options(params: dict):
    from tfhelm.actions.package import SignOptions
    from tfhelm.chart.provenance import default_keyring

    if not params["sign"]:
        return None
    if not params["key"]:
        raise click.UsageError("--key is required for signing a package")
    ask = _ask_passphrase if sys.stdin.isatty() and not params["passphrase_file"] else None
    return SignOptions(params["key"], params["keyring"] or default_keyring(), params["passphrase_file"], ask)


def _ask_passphrase(key_name: str) -> bytes:
    """Helm's prompt for a protected key, read without echo from the terminal."""
    return click.prompt(f"Password for key {key_name!r}", hide_input=True, err=True).encode("utf-8")


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("chart", metavar="CHART.tgz")
@click.option(
    "--keyring",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Public keys to trust (gpg --export output; default: ~/.gnupg/pubring.gpg).",
)
def verify(chart: str, keyring: Path | None) -> None:
    """Verify that CHART.tgz is signed by a key of the keyring and unchanged since (CHART.tgz.prov)."""
    from tfhelm.actions.verify import run_verify
    from tfhelm.chart.provenance import default_keyring

    _print_verification(run_verify(chart, keyring=keyring or default_keyring()))


def _print_verification(verification) -> None:
    """Helm's three lines: who signed, with which key, and the archive's verified sum."""
    echo(f"Signed by: {terminal_safe(verification.signed_by, one_line=True)}")
    echo(f"Using Key With Fingerprint: {verification.fingerprint}")
    echo(f"Chart Hash Verified: {verification.file_hash}")


@click.group(context_settings=CONTEXT_SETTINGS)
def repo() -> None:
    """Add, list, update, remove and index chart repositories."""


@repo.command(name="index", context_settings=CONTEXT_SETTINGS)
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--url", help="URL the directory will be served from (chart URLs are relative without it).")
@click.option(
    "--merge",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Keep the versions of this existing index that DIRECTORY lacks.",
)
def index_command(directory: Path, url: str | None, merge: Path | None) -> None:
    """Write DIRECTORY/index.yaml for the chart archives in DIRECTORY (Helm-compatible)."""
    from tfhelm.actions.repo import IndexOptions, repo_index

    echo(f"wrote {repo_index(IndexOptions(directory, url=url, merge=merge))}")


@repo.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@click.argument("url")
@click.option("--username", help="Repository username.")
@click.option("--password-stdin", is_flag=True, help="Read the repository password from standard input.")
@tls_flags
@click.option(
    "--pass-credentials",
    "pass_credentials_all",
    is_flag=True,
    help="Send credentials to chart URLs on other hosts too.",
)
@click.option("--force-update", is_flag=True, help="Replace the repository if NAME already exists.")
def add(name: str, url: str, password_stdin: bool, force_update: bool, **params) -> None:
    """Add a chart repository: `tfhelm repo add team https://charts.example.com`."""
    from tfhelm.actions.repo import RepoAddOptions, repo_add

    source = chart_source_from(params, password=read_password(params["username"], password_stdin))
    echo(repo_add(RepoAddOptions(name, url, source, force_update=force_update)))


@repo.command(name="list", context_settings=CONTEXT_SETTINGS)
@_OUTPUT
def list_command(output: str) -> None:
    """List the chart repositories (credentials are never shown)."""
    from tfhelm.actions.repo import repo_list

    rows = [{"name": repository.name, "url": repository.display_url} for repository in repo_list()]
    _print(rows, output, [("NAME", "name"), ("URL", "url")])


@repo.command(context_settings=CONTEXT_SETTINGS)
@click.argument("names", nargs=-1, metavar="[NAME]...")
def update(names: tuple[str, ...]) -> None:
    """Download the latest index of each (or each named) chart repository."""
    from tfhelm.actions.repo import RepoNames, repo_update
    from tfhelm.errors import RepoError

    echo("Hang tight while we grab the latest from your chart repositories...")
    outcomes = repo_update(RepoNames(names))
    for outcome in outcomes:
        if outcome.error:
            echo(f"...Unable to get an update from the {outcome.name!r} chart repository: {outcome.error}", err=True)
        else:
            echo(f"...Successfully got an update from the {outcome.name!r} chart repository ({outcome.charts} charts)")
    failed = [outcome.name for outcome in outcomes if outcome.error]
    if failed:
        raise RepoError(f"failed to update the following repositories: {', '.join(failed)}")
    echo("Update Complete.")


@repo.command(context_settings=CONTEXT_SETTINGS)
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
def remove(names: tuple[str, ...]) -> None:
    """Remove chart repositories and their cached indexes."""
    from tfhelm.actions.repo import RepoNames, repo_remove

    for line in repo_remove(RepoNames(names)):
        echo(line)


@click.group(context_settings=CONTEXT_SETTINGS)
def search() -> None:
    """Search for charts."""


@search.command(name="repo", context_settings=CONTEXT_SETTINGS)
@click.argument("keyword", required=False)
@click.option(
    "--version", "chart_version", metavar="CONSTRAINT", help="Only versions matching this constraint (e.g. ^1.2)."
)
@click.option(
    "-l", "--versions", "all_versions", is_flag=True, help="Show every matching version, not just the newest."
)
@click.option("--devel", is_flag=True, help="Include prerelease versions.")
@_OUTPUT
def search_repo_command(keyword: str | None, all_versions: bool, output: str, **params) -> None:
    """Search the added repositories for charts whose name, description or keywords contain KEYWORD."""
    from tfhelm.actions.repo import SearchOptions, search_repo

    results = search_repo(
        SearchOptions(
            keyword,
            chart_source_from(params),
            all_versions=all_versions,
            warn=lambda message: echo(f"WARNING: {message}", err=True),
        )
    )
    if not results and output == "table":
        echo("No results found")
        return
    columns = [
        ("NAME", "name"),
        ("CHART VERSION", "version"),
        ("APP VERSION", "app_version"),
        ("DESCRIPTION", "description"),
    ]
    _print([result.to_dict() for result in results], output, columns)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("chart", metavar="REPO/CHART|oci://HOST/PATH/CHART")
@click.option(
    "-d",
    "--destination",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory to save the chart in.",
)
@click.option("--untar", is_flag=True, help="Unpack the chart into DESTINATION/NAME instead of saving the .tgz.")
@chart_source_flags
@verify_flags
def pull(chart: str, destination: Path, untar: bool, **params) -> None:
    """Download a chart from a repository or an OCI registry, verifying its digest (and with
    --verify, its signature; the .prov is saved beside the archive)."""
    from tfhelm.actions.pull import PullOptions, run_pull

    result = run_pull(PullOptions(chart, destination, untar, chart_source_from(params)))
    if result.verification is not None:
        _print_verification(result.verification)
    echo(f"Pulled: {result.name} {result.version} to {result.path}")
    echo(f"Digest: {result.digest}")


def _print(rows: list[dict[str, str]], output: str, columns: list[tuple[str, str]]) -> None:
    if output == "json":
        import json

        echo(json.dumps(rows, indent=2))
    elif output == "yaml":
        from tfhelm.yamlio import dump_yaml

        echo(dump_yaml(rows), nl=False)
    else:
        echo(_table(rows, columns), nl=False)


def _table(rows: list[dict[str, str]], columns: list[tuple[str, str]]) -> str:
    """Left-aligned columns separated by a tab, like Helm's tables."""
    cells = [[title for title, _ in columns]]
    # one line per row: a newline in a description would forge rows
    cells += [[terminal_safe(str(row[key]), one_line=True) for _, key in columns] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(columns) - 1)]
    # every column but the last is padded: zip stops at the last column on purpose
    lines = [
        "\t".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "\t" + line[-1]
        for line in cells
    ]
    return "".join(line.rstrip() + "\n" for line in lines)


COMMANDS = (package, verify, repo, search, pull)
