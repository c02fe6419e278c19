"""How large and how deep the user's value sources may be, and reading them within that.

A values file (``-f``), a ``--set-file`` file or standard input is read at most
:data:`MAX_VALUES_BYTES` bytes: ``--set-file key=/dev/zero`` fails at once instead of filling
memory. Values nested deeper than :data:`MAX_VALUES_DEPTH` levels are refused where they come in
(a file, a ``--set-json``, a chart's values.yaml), before merging and rendering recurse into them.
"""

from __future__ import annotations

import errno
from typing import IO, Any

__all__ = ["MAX_VALUES_BYTES", "MAX_VALUES_DEPTH", "_TooLarge", "depth_exceeded", "read_limited"]

MAX_VALUES_BYTES = 32 << 20
MAX_VALUES_DEPTH = 200


class _TooLarge(OSError):
    """A value source is larger than :data:`MAX_VALUES_BYTES`; ``strerror`` says so for the user."""

    def __init__(self, limit: int = MAX_VALUES_BYTES) -> None:
        super().__init__(errno.EFBIG, f"larger than {limit >> 20} MiB, tfhelm's limit for a value source")


def read_limited(handle: IO[Any], limit: int = MAX_VALUES_BYTES) -> Any:
    """Everything ``handle`` holds (bytes or text), or :class:`_TooLarge` past ``limit``."""
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise _TooLarge(limit)
    return data


def depth_exceeded(value: object, limit: int = MAX_VALUES_DEPTH) -> bool:
    """Whether maps and lists nest deeper than ``limit`` levels in ``value`` (without recursion)."""
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
