"""Fixtures shared by the repository tests: a real OCI registry (docker-registry) per module."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A plain-HTTP registry for the module (tests/oci_registry.py), stopped afterwards."""
    from oci_registry import start_registry

    server = start_registry(tmp_path_factory)
    yield server
    server.stop()
