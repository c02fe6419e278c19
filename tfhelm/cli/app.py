"""The ``tfhelm`` command group: it only assembles the commands the other ``cli`` modules define."""

from __future__ import annotations

import click

from tfhelm.cli import chart, completion, dependency, oci, release, repo
from tfhelm.cli.options import CONTEXT_SETTINGS

__all__ = ["cli"]


@click.group(context_settings=CONTEXT_SETTINGS)
@click.option("--debug", is_flag=True, help="Show tracebacks and details on errors (may stand anywhere).")
def cli(debug: bool) -> None:
    """tfhelm: a Helm-style chart packager for distributed TensorFlow on Kubernetes."""


for _module in (chart, release, repo, oci, dependency, completion):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
