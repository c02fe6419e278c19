"""Fixtures of the end-to-end tests: a real kube-apiserver + etcd for each test module."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def plane(tmp_path_factory):
    """A fresh control plane for the module (support/controlplane.py), stopped afterwards."""
    from support.controlplane import control_plane_or_skip

    control_plane = control_plane_or_skip(tmp_path_factory)
    yield control_plane
    control_plane.stop()
