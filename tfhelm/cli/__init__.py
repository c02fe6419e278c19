"""The ``tfhelm`` command line: parse flags, call an action, print, map errors to exit codes.

No logic lives here. Without ``--debug`` no traceback ever reaches the user: every failure is a
few clear lines on stderr, exit code 1 (2 for usage errors, 130 for Ctrl-C). Everything printed
goes through :func:`tfhelm.cli.output.echo`, which escapes control characters.
"""

from __future__ import annotations

import os
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and, as a console script, exits with) the exit code."""
    import click

    from tfhelm.cli.app import cli
    from tfhelm.cli.output import echo
    from tfhelm.errors import TfhelmError

    args = list(sys.argv[1:] if argv is None else argv)
    debug = _take_debug_flag(args)
    try:
        cli.main(args=args, prog_name="tfhelm", standalone_mode=False, obj={"debug": debug})
        return 0
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Abort:
        echo("Aborted.", err=True)
        return 130
    except TfhelmError as error:
        return _report(error, debug, error.exit_code)
    except KeyboardInterrupt:
        echo("Interrupted.", err=True)
        return 130
    except BrokenPipeError:
        return 1
    except MemoryError as error:  # the layers that know the file say so; this is the last resort
        return _report(error, debug, 1, message="tfhelm ran out of memory (run again with --debug to see where)")
    except Exception as error:  # noqa: BLE001 - the last line of defence before a traceback
        return _report(error, debug, 1, unexpected=True)


def _take_debug_flag(args: list[str]) -> bool:
    """``--debug`` may stand anywhere before ``--`` (as in Helm); remove it from ``args``."""
    end = args.index("--") if "--" in args else len(args)
    found = "--debug" in args[:end]
    if found:
        args.remove("--debug")
    return found or os.environ.get("TFHELM_DEBUG", "") not in ("", "0")


def _report(
    error: BaseException, debug: bool, code: int, *, unexpected: bool = False, message: str | None = None
) -> int:
    from tfhelm.cli.output import echo

    if debug:
        import traceback

        echo("".join(traceback.format_exception(error)), err=True, nl=False)
        details = getattr(error, "details", None)
        if details:
            echo(f"The server's whole answer:\n{details}", err=True)
    if message is None:
        message = f"unexpected {type(error).__name__}: {error}" if unexpected else str(error)
    echo(f"Error: {message}", err=True, fg="red")
    if unexpected and not debug:
        echo("Run again with --debug to see where it happened.", err=True)
    return code
