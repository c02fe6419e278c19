"""``tfhelm completion bash|zsh|fish``: each script parses in its shell, and bash and fish, given
the script, really complete commands, flags and choices by calling tfhelm back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import unavailable

REPO = Path(__file__).resolve().parents[2]


def shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        unavailable(f"{name} is not installed (Debian package {name}; scripts/test installs it)")
    return found


@pytest.fixture
def on_path(tmp_path):
    """An environment whose PATH has a ``tfhelm`` that runs this checkout (what the scripts call back)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "tfhelm"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tfhelm "$@"\n')
    launcher.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", HOME=str(tmp_path))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return env


def script(name: str, tmp_path: Path) -> Path:
    done = subprocess.run([sys.executable, "-m", "tfhelm", "completion", name], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    path = tmp_path / f"tfhelm.{name}"
    path.write_text(done.stdout)
    return path


@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_each_script_parses_in_its_shell(name, tmp_path):
    path = script(name, tmp_path)
    done = subprocess.run([shell(name), "-n", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "_TFHELM_COMPLETE" in path.read_text()


def test_bash_completes_commands_flags_and_choices(tmp_path, on_path):
    path = script("bash", tmp_path)
    probe = (
        f"source {path}\n"
        "complete_words() { COMPREPLY=(); COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); _tfhelm_completion tfhelm;"
        " echo \"${COMPREPLY[*]}\"; }\n"
        "complete_words tfhelm ins\n"
        "complete_words tfhelm list --sup\n"
        "complete_words tfhelm completion ''\n"
        "complete -p tfhelm\n"
    )
    done = subprocess.run([shell("bash"), "-c", probe], capture_output=True, text=True, timeout=120, env=on_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["install", "--superseded", "bash zsh fish",
                                        "complete -o nosort -F _tfhelm_completion tfhelm"]


def test_fish_completes_subcommands_with_their_help(tmp_path, on_path):
    path = script("fish", tmp_path)
    done = subprocess.run([shell("fish"), "-c", f"source {path}; complete -C 'tfhelm get '"],
                          capture_output=True, text=True, timeout=120, env=on_path)
    assert done.returncode == 0, done.stderr
    completions = dict(line.split("\t", 1) for line in done.stdout.splitlines())
    assert set(completions) == {"all", "manifest", "metadata", "notes", "values"}
    assert completions["manifest"] == "Print the manifest of a revision."


def test_zsh_script_registers_its_completion_function(tmp_path, on_path):
    path = script("zsh", tmp_path)
    probe = f"autoload -U compinit; compinit -u -D; source {path}; print -r -- $_comps[tfhelm]"
    done = subprocess.run([shell("zsh"), "-f", "-c", probe], capture_output=True, text=True, timeout=60, env=on_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "_tfhelm_completion"


def test_an_unknown_shell_is_a_usage_error():
    done = subprocess.run([sys.executable, "-m", "tfhelm", "completion", "powershell"], capture_output=True,
                          text=True, timeout=60, cwd=REPO)
    assert done.returncode == 2 and "'powershell' is not one of 'bash', 'zsh', 'fish'" in done.stderr
