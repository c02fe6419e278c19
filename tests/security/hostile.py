"""Helpers for the security tests: hostile input must fail cleanly and leave nothing behind."""

from __future__ import annotations

from pathlib import Path


def assert_refused(result, *fragments: str, code: int = 1) -> None:
    """A clean refusal: the exit code, no traceback, nothing on stdout, every fragment on stderr."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == "", result.stdout
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def files_under(root: Path) -> list[str]:
    """Every file and link under ``root`` (relative), to prove nothing was written."""
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file() or path.is_symlink())


def run_limited(*args: str, env: dict | None = None, memory_mb: int = 600, cpu_seconds: int = 30, stdin: str | None = None):
    """``python -m tfhelm ARGS`` with its address space and CPU time capped (for bombs).

    A bomb that gets past the defences dies of MemoryError or SIGXCPU instead of taking the
    machine down, and the test fails on the exit code.
    """
    import os
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))

    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env.pop("TFHELM_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "tfhelm", *args], input=stdin, capture_output=True, text=True,
        env=full_env, preexec_fn=limit, timeout=cpu_seconds * 2,
    )
