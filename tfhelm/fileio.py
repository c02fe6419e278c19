"""Writing a file so that readers see the old content or the new, never half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tfhelm.errors import RepoError

__all__ = ["write_file_atomically"]


def write_file_atomically(dest: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to a temporary file next to ``dest`` and rename it into place."""
    dest = Path(dest)
    if dest.is_dir():
        raise RepoError(f"cannot write {dest}: it is a directory")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    except OSError as error:
        raise RepoError(f"cannot write {dest}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
        os.chmod(temp_name, mode)
        os.replace(temp_name, dest)
    except BaseException as error:
        Path(temp_name).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise RepoError(f"cannot write {dest}: {error.strerror or error}") from None
        raise
