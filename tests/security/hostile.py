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
