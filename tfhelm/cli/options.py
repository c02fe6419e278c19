"""Flag groups shared by several commands (values flags, chart version, Kubernetes capabilities, --verify)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

__all__ = [
    "capabilities_flags",
    "registry_tls_flags",
    "value_flags",
    "value_options_from",
    "verify_flags",
    "verify_keyring_from",
]


def _compose(*decorators: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def apply(function: Any) -> Any:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


value_flags = _compose(
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

capabilities_flags = _compose(
    click.option("--kube-version", metavar="VERSION", help="Kubernetes version to render for (e.g. 1.30)."),
    click.option(
        "--api-versions",
        "api_versions",
        multiple=True,
        metavar="GROUP/VERSION",
        help="Extra API version available to Capabilities.apiVersions; repeatable.",
    ),
)

registry_tls_flags = _compose(
    click.option(
        "--plain-http", is_flag=True, help="Talk plain HTTP to an OCI registry (no TLS), e.g. a local test registry."
    ),
    click.option("--insecure-skip-tls-verify", is_flag=True, help="Do not verify the registry's TLS certificate."),
    click.option(
        "--ca-file",
        type=click.Path(exists=True, dir_okay=False),
        help="Verify the registry's certificate with this CA bundle.",
    ),
)

verify_flags = _compose(
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


def value_options_from(params: dict[str, Any]):
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
