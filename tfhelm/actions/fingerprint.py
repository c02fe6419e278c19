"""Recognising an upgrade whose inputs did not change, without rendering again.

Rendering is deterministic: the same chart files, values, release name and namespace and
Kubernetes version give byte-identical manifests. A record keeps a fingerprint of those inputs;
when an upgrade's fingerprint equals the deployed revision's and every object still exists,
the upgrade has nothing to send and the (large) render is skipped. Charts whose templates read
anything that changes between revisions (``Release.revision``, ``isInstall``, ``isUpgrade`` or
``Release`` as a whole) never take this shortcut.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from tfhelm.chart.model import Chart
from tfhelm.values.tree import ValuesTree

__all__ = ["chart_digest", "render_fingerprint", "revision_independent", "write_only"]

_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
_RELEASE_USE = re.compile(r"\bRelease\b(\s*\.\s*(\w+))?")
_STABLE_FIELDS = frozenset({"name", "namespace", "service"})


def revision_independent(chart: Chart) -> bool:
    """True when no template of the chart (or its subcharts) reads revision-dependent fields."""
    for template in _all_templates(chart):
        for match in _RELEASE_USE.finditer(_COMMENT.sub("", template)):
            if match.group(2) not in _STABLE_FIELDS:
                return False
    return True


def _all_templates(chart: Chart) -> list[str]:
    texts = list(chart.templates.values())
    for subchart in chart.subcharts:
        texts += _all_templates(subchart)
    return texts


def chart_digest(chart: Chart) -> str:
    """``sha256:…`` of every file of the chart as loaded (names and contents, in name order)."""
    hasher = hashlib.sha256()
    for name, content in sorted((chart.raw_files or {}).items()):
        hasher.update(name.encode() + b"\0" + content + b"\0")
    return "sha256:" + hasher.hexdigest()


def write_only(chart: Chart, values: dict[str, Any]) -> list[tuple]:
    """The paths of ``values`` the chart's schema marks ``writeOnly`` (none without a schema).

    Computed once per revision: the fingerprint stretches these values and the record redacts them.
    """
    if not chart.schema:
        return []
    from tfhelm.values.schema import write_only_paths

    return write_only_paths(chart.schema, values)


def render_fingerprint(
    tree: ValuesTree,
    *,
    name: str,
    namespace: str,
    kube_version: str | None,
    secret_paths: list[tuple] | None = None,
) -> str:
    """A digest of every input of rendering ("" when the chart reads revision-dependent fields).

    ``secret_paths`` are the values' :func:`write_only` paths, when the caller has them already.
    """
    chart, computed_values = tree.chart, tree.values
    if not revision_independent(chart):
        return ""
    paths = write_only(chart, computed_values) if secret_paths is None else secret_paths
    inputs = {
        "chart": chart_digest(chart),
        "values": _with_secrets_stretched(computed_values, paths, f"{namespace}/{name}"),
        "release": [name, namespace],
        "kube": kube_version or "",
    }
    encoded = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=str).encode()
    return "sha256:" + hashlib.sha256(encoded).hexdigest()


def _with_secrets_stretched(values: dict[str, Any], paths: list[tuple], salt: str) -> dict[str, Any]:
    """``values`` with each writeOnly value replaced by a deliberately slow digest of it.

    The fingerprint is stored in the release record; a fast hash over values that include the
    notebook password would let anyone who can read the record guess the password quickly.
    """
    if not paths:
        return values
    values = json.loads(json.dumps(values, default=str))
    for path in paths:
        parent = values
        for key in path[:-1]:
            parent = parent[key]
        secret = json.dumps(parent[path[-1]], sort_keys=True).encode()
        digest = hashlib.scrypt(secret, salt=f"tfhelm-fingerprint/{salt}".encode(), n=2**14, r=8, p=1, dklen=32)
        parent[path[-1]] = "scrypt:" + digest.hex()
    return values
