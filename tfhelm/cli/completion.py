"""``tfhelm completion bash|zsh|fish``: print the script that makes a shell complete tfhelm's
commands, flags and choices (click's shell completion; the script calls ``tfhelm`` back with
``_TFHELM_COMPLETE`` set, so completions always match the installed version)."""

from __future__ import annotations

import click

from tfhelm.cli.options import CONTEXT_SETTINGS
from tfhelm.cli.output import echo

__all__ = ["COMMANDS"]

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_TFHELM_COMPLETE"

_ENABLE = {
    "bash": "echo 'source <(tfhelm completion bash)' >> ~/.bashrc   # bash 4.4 or later",
    "zsh": "echo 'source <(tfhelm completion zsh)' >> ~/.zshrc   # after compinit",
    "fish": "tfhelm completion fish > ~/.config/fish/completions/tfhelm.fish",
}


@click.command(context_settings=CONTEXT_SETTINGS, epilog="\b\nEnable it:\n" + "\n".join(_ENABLE.values()))
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script for SHELL (bash, zsh or fish)."""
    from click.shell_completion import get_completion_class

    root = ctx.find_root().command
    completer = get_completion_class(shell)
    assert completer is not None  # every name in SHELLS is one click ships
    echo(completer(root, {}, "tfhelm", COMPLETE_VAR).source(), nl=False)


COMMANDS = (completion,)
