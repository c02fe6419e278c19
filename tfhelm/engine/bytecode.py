"""A disk cache of compiled templates, so repeated renders skip Jinja's compiler.

Compiling a chart's templates costs more than rendering them (tf-cluster: most of a small
render). Jinja stores the compiled code per template name, keyed by a checksum of the source, so
an edited template is simply compiled again. The cache lives in tfhelm's cache directory
(``$TFHELM_CACHE_HOME``, else ``$XDG_CACHE_HOME/tfhelm``, else ``~/.cache/tfhelm``), in a
``templates`` folder only its owner can read or write, since its contents are executed. Writing
is best effort: a read-only home directory only means no cache.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, FileSystemBytecodeCache

__all__ = ["template_cache"]

# bump when the environment's options change the code Jinja generates
_ENVIRONMENT_SIGNATURE = "tfhelm-sandbox-strict-trim-lstrip-budget-v2"


def _cache_dir() -> Path:
    if os.environ.get("TFHELM_CACHE_HOME"):
        return Path(os.environ["TFHELM_CACHE_HOME"]) / "templates"
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        base = str(Path.home() / ".cache")
    return Path(base) / "tfhelm" / "templates"


class _TemplateCache(FileSystemBytecodeCache):
    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(
            f"{_ENVIRONMENT_SIGNATURE}:{jinja2.__version__}:{sys.version_info[:2]}:{name}", filename
        )

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError):
            bucket.reset()


def template_cache() -> FileSystemBytecodeCache | None:
    """The cache, or None when the directory cannot be made private to this user."""
    if os.environ.get("TFHELM_NO_TEMPLATE_CACHE"):
        return None
    directory = _cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
    except OSError:
        return None
    return _TemplateCache(str(directory))
