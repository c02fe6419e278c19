"""Helpers for the OCI tests on top of the shared registry (``tests/support/registry.py``).

``start_registry`` starts a real registry (Debian's ``docker-registry``) through
``scripts/registry``, optionally with basic auth; ``blob_path`` finds a stored blob so a test can
tamper with it; ``find_helm`` finds the Helm 4 binary ``scripts/fetch-helm`` caches. Missing
tools skip the tests outside CI and fail them in CI.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from support import REPO_ROOT, unavailable
from support.registry import Registry, RegistryError, registry_or_skip

__all__ = ["blob_path", "find_helm", "start_registry"]


def start_registry(tmp_path_factory: pytest.TempPathFactory, *, auth: tuple[str, str] | None = None) -> Registry:
    """A started registry on 127.0.0.1 (plain HTTP); with ``auth`` it requires basic auth."""
    if auth is None:
        return registry_or_skip(tmp_path_factory)
    try:  # scripts/registry installs what htpasswd files need when it runs as root
        return Registry.start(tmp_path_factory.mktemp("auth-registry"), auth=auth)
    except RegistryError as error:
        unavailable(f"could not start a registry with basic auth: {error}")


def blob_path(registry: Registry, digest: str) -> Path:
    """Where the registry's filesystem storage keeps a blob (manifests are blobs too)."""
    algorithm, hex_digest = digest.split(":", 1)
    return registry.storage / "docker/registry/v2/blobs" / algorithm / hex_digest[:2] / hex_digest / "data"


def find_helm() -> str:
    """The Helm 4 binary (``TFHELM_HELM``, else what ``scripts/fetch-helm`` prints)."""
    if os.environ.get("TFHELM_HELM") and os.access(os.environ["TFHELM_HELM"], os.X_OK):
        return os.environ["TFHELM_HELM"]
    try:
        result = subprocess.run([str(REPO_ROOT / "scripts" / "fetch-helm")], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        unavailable(f"the Helm 4 binary is not available (scripts/fetch-helm: {error})")
    path = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    if result.returncode != 0 or not os.access(path, os.X_OK):
        unavailable(f"the Helm 4 binary is not available (scripts/fetch-helm failed: {result.stderr.strip()[-300:]})")
    return path


def helm_env(home: Path) -> dict[str, str]:
    """An environment that keeps Helm's config, cache, data and registry login under ``home``."""
    return {
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_DATA_HOME": str(home / "data"),
        "HELM_REGISTRY_CONFIG": str(home / "registry.json"),
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
    }
