"""Finding 3: text from charts, indexes, records and servers cannot drive the user's terminal.

``search repo`` printed an index's description raw, OSC sequences included (retitle the window,
hyperlinks, clipboard writes). Every CLI write now goes through :func:`tfhelm.cli.output.echo`,
which shows control characters as escapes; table cells stay on one line.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from chart_server import isolated_homes
from helpers import REPO, run_cli
from tfhelm.actions.wait import ResourceState
from tfhelm.cli.output import echo, terminal_safe
from tfhelm.cli.release_output import WaitDisplay, print_rows, print_status
from tfhelm.kube import ObjectRef
from tfhelm.kube.readiness import Readiness
from tfhelm.release.record import ChartInfo, Release, Status

OSC_TITLE = "\x1b]0;owned\x07"
OSC_CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4K\x1b\\"
CSI_CLEAR = "\x1b[2J\x1b[H"
C1_CSI = "\x9b2J"
HOSTILE = f"{OSC_TITLE}{OSC_CLIPBOARD}{CSI_CLEAR}{C1_CSI}nice\rchart\x08\x7f\u202eevil"
FORGED_ROW = "fine\nevil/fake\t9.9.9\t\tforged row"
RAW = ("\x1b", "\x07", "\x9b", "\x08", "\x7f", "\r", "\u202e")


def assert_inert(text: str) -> None:
    for char in RAW:
        assert char not in text, repr(text)


def test_terminal_safe_escapes_c0_c1_and_bidi_controls_but_keeps_text():
    assert terminal_safe("plain text, ünïcödé, 中文\tand\nlines") == "plain text, ünïcödé, 中文\tand\nlines"
    assert terminal_safe(OSC_TITLE + "x") == "\\x1b]0;owned\\x07x"
    assert terminal_safe("a\r\nb\rc") == "a\nb\\rc"
    assert terminal_safe(C1_CSI + "\x85\u202e") == "\\x9b2J\\x85\\u202e"
    assert terminal_safe(FORGED_ROW, one_line=True) == "fine\\nevil/fake\\t9.9.9\\t\\tforged row"


def test_echo_escapes_before_styling(capsys):
    echo(HOSTILE, fg="red", err=True)
    echo(HOSTILE)
    captured = capsys.readouterr()
    assert_inert(captured.out)
    assert captured.out.startswith("\\x1b]0;owned\\x07")
    assert "nice\\rchart" in captured.err


# --------------------------------------------------------------------------- search repo


@pytest.fixture
def hostile_repository(tmp_path):
    env = isolated_homes(tmp_path)
    (tmp_path / "tfhelm-config").mkdir()
    repositories = [{"name": "evil", "url": "https://evil.invalid"}, {"name": "broken", "url": "https://b.invalid"}]
    (tmp_path / "tfhelm-config" / "repositories.yaml").write_text(json.dumps({"repositories": repositories}))
    cache = tmp_path / "tfhelm-cache" / "repository"
    cache.mkdir(parents=True)
    entry = {"name": "pwn", "version": "1.0.0", "appVersion": OSC_TITLE + "1.0", "description": HOSTILE + FORGED_ROW,
             "keywords": ["x"], "urls": ["pwn-1.0.0.tgz"]}
    (cache / "evil-index.yaml").write_text(json.dumps({"apiVersion": "v1", "entries": {"pwn": [entry]}}))
    (cache / "broken-index.yaml").write_text("apiVersion: [\n")
    return env


def test_search_repo_table_is_inert_and_one_row_per_chart(hostile_repository):
    result = run_cli("search", "repo", env=hostile_repository)
    assert result.returncode == 0, result.stderr
    assert_inert(result.stdout)
    assert_inert(result.stderr)
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[1].startswith("evil/pwn\t1.0.0")
    assert lines[1].count("\t") == 3  # no forged columns either
    assert "\\x1b]0;owned\\x07" in lines[1] and "fine\\nevil/fake\\t9.9.9" in lines[1]
    assert "WARNING: " in result.stderr and "broken-index.yaml:" in result.stderr  # warnings go through echo too


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_search_repo_json_and_yaml_keep_the_data_escaped(hostile_repository, output):
    result = run_cli("search", "repo", "-o", output, env=hostile_repository)
    assert result.returncode == 0, result.stderr
    assert_inert(result.stdout)
    if output == "json":
        assert json.loads(result.stdout)[0]["description"] == HOSTILE + FORGED_ROW  # the data itself is intact


# --------------------------------------------------------------------------- charts


def test_chart_text_and_error_messages_are_inert(chart_dir):
    readme = f"# Title {OSC_CLIPBOARD}\r\nline two\r\n"
    notes = "{{ '" + OSC_TITLE.replace("\x1b", "\\x1b").replace("\x07", "\\x07") + "' }} see docs\n"
    chart = chart_dir({
        "README.md": readme,
        "templates/NOTES.txt": notes,
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
    })
    shown = run_cli("show", "readme", str(chart))
    assert shown.returncode == 0 and shown.stdout == "# Title \\x1b]52;c;cm0gLXJmIH4K\\x1b\\\nline two\n"
    notes_out = run_cli("template", str(chart), "--include-notes")
    assert notes_out.returncode == 0, notes_out.stderr
    assert_inert(notes_out.stdout)
    assert "# \\x1b]0;owned\\x07 see docs" in notes_out.stdout

    failing = chart_dir({"templates/cm.yaml": "{{ fail('" + OSC_TITLE.replace("\x1b", "\\x1b").replace("\x07", "\\x07") + "bad value') }}"})
    for command in (["template", str(failing)], ["lint", str(failing)], ["template", "--debug", str(failing)]):
        result = run_cli(*command)
        assert result.returncode == 1
        assert_inert(result.stdout + result.stderr)
        assert "\\x1b]0;owned\\x07bad value" in result.stdout + result.stderr


# --------------------------------------------------------------------------- releases and --wait


def hostile_release() -> Release:
    chart = ChartInfo("demo", "0.1.0", app_version=OSC_TITLE, description=HOSTILE)
    return Release("demo", "ml", 1, Status.DEPLOYED, chart, manifest=f"data: {HOSTILE}\n", notes=HOSTILE,
                   description=FORGED_ROW + OSC_TITLE)


def test_status_block_is_inert_and_fields_stay_on_their_line(capsys):
    print_status(hostile_release(), manifest=True)
    out = capsys.readouterr().out
    assert_inert(out)
    assert "DESCRIPTION: fine\\nevil/fake\\t9.9.9\\t\\tforged row\\x1b]0;owned\\x07\n" in out


def test_table_rows_cannot_forge_rows(capsys):
    print_rows([{"name": "demo", "chart": FORGED_ROW, "app_version": OSC_TITLE}], "table")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert_inert("\n".join(lines))


def test_wait_progress_lines_are_inert(capsys):
    import sys

    display = WaitDisplay(stream=sys.stdout)
    display([ResourceState(ObjectRef("v1", "Pod", "p", "ml"), Readiness(False, f"CrashLoop\n  Pod/q: ready{OSC_TITLE}"))])
    display.close()
    out = capsys.readouterr().out
    assert_inert(out)
    assert out.splitlines()[0] == "  Pod/p (namespace ml): waiting: CrashLoop\\n  Pod/q: ready\\x1b]0;owned\\x07"


# --------------------------------------------------------------------------- one place


def test_the_cli_writes_only_through_echo():
    """No command module bypasses the escaping writer (click.echo/secho, print, stream writes)."""
    offenders = []
    for path in sorted((REPO / "tfhelm" / "cli").glob("*.py")):
        if path.name == "output.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            function = ast.unparse(node.func)
            if function in ("print", "click.echo", "click.secho", "sys.stdout.write", "sys.stderr.write",
                            "traceback.print_exception", "traceback.print_exc"):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}: {function}")
    assert offenders == []
