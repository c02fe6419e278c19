"""Test infrastructure for end-to-end tests: a real Kubernetes API server and an OCI registry.

Both wrap the shell scripts in ``scripts/`` (``control-plane``, ``registry``), which own building,
starting and stopping the processes; these modules add pytest-friendly access and cleanup:

    from support.controlplane import ControlPlane, control_plane_or_skip
    from support.registry import Registry, registry_or_skip

(``tests/conftest.py`` puts ``tests/`` on ``sys.path``.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS_DIR = REPO_ROOT / "scripts"

__all__ = ["REPO_ROOT", "SCRIPTS_DIR", "in_ci", "unavailable"]


def in_ci() -> bool:
    """True when env ``CI`` is set (to anything but empty, ``0`` or ``false``)."""
    return os.environ.get("CI", "") not in ("", "0", "false")


def unavailable(message: str) -> NoReturn:
    """A missing piece of infrastructure skips the test locally but fails it in CI."""
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
