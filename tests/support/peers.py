"""Where the real peers live: TensorFlow and the Jupyter server run from ``.venv-peers``.

They are kept out of tfhelm's own environment (scripts/bootstrap makes both). A test that needs
a peer calls :func:`peers_python_or_skip`: it skips outside CI when the peers are not installed,
and fails in CI, where a skipped test counts as a failure anyway.
"""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PEERS_PYTHON = Path(os.environ.get("TFHELM_PEERS_PYTHON", REPO / ".venv-peers" / "bin" / "python"))


@lru_cache(maxsize=None)
def _has_module(module: str) -> bool:
    if not PEERS_PYTHON.exists():
        return False
    probe = subprocess.run([str(PEERS_PYTHON), "-c", f"import {module}"], capture_output=True, timeout=300)
    return probe.returncode == 0


def peers_python_or_skip(module: str) -> Path:
    """The peers' Python interpreter, checked to import ``module`` (tensorflow, jupyter_server)."""
    if _has_module(module):
        return PEERS_PYTHON
    message = f"{module} is not installed in {PEERS_PYTHON} (run scripts/bootstrap)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message, allow_module_level=True)
