"""Recognising an upgrade whose inputs did not change, without rendering again.

Rendering is deterministic: the same chart files, values, release name and namespace and
Kubernetes version give byte-identical manifests, given the previous revision (a template that
salts a hash at random keeps the previous revision's hash through ``previous_object`` while its
input is unchanged). A record keeps a fingerprint of those inputs; when an upgrade's fingerprint
equals the deployed revision's and every object still exists, the upgrade has nothing to send
and the (large) render is skipped. Charts whose templates read anything that changes between
revisions (``Release.revision``, ``isInstall``, ``isUpgrade`` or ``Release`` as a whole) never
take this shortcut, nor do charts that call ``lookup`` (their output depends on the cluster), nor
charts that ``tpl`` a value or file mentioning those names.

The fingerprint is stored in the release record, so writeOnly values (passwords) enter it only
through scrypt with a random salt, which the fingerprint carries: ``sha256:<salt>:<hex>``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from tfhelm.chart.model import Chart
from tfhelm.values.tree import ValuesTree

__all__ = ["chart_digest", "fingerprint_salt", "render_fingerprint", "revision_independent", "write_only"]

_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
_RELEASE_USE = re.compile(r"\bRelease\b(\s*\.\s*(\w+))?")
_STABLE_FIELDS = frozenset({"name", "namespace", "service"})
_LOOKUP_USE = re.compile(r"\blookup\b")
_TPL_USE = re.compile(r"\btpl\b")


def revision_independent(chart: Chart, values: dict[str, Any] | None = None) -> bool:
    """True when no template of the chart (or its subcharts) reads revision-dependent fields or
    the cluster (``lookup``); with ``tpl``, neither may any string of ``values`` or any chart file."""
    templates = [_COMMENT.sub("", template) for template in _all_templates(chart)]
    if not all(_independent(template) for template in templates):
        return False
    if not any(_TPL_USE.search(template) for template in templates):
        return True
    texts = [*_strings(values or {}), *(content.decode("utf-8", "replace") for content in _all_files(chart))]
    return all(_independent(text) for text in texts)


def _independent(text: str) -> bool:
    if _LOOKUP_USE.search(text):
        return False
    return all(match.group(2) in _STABLE_FIELDS for match in _RELEASE_USE.finditer(text))


def _strings(values: Any) -> list[str]:
    found, stack = [], [values]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _all_files(chart: Chart) -> list[bytes]:
    contents = list(chart.files.values())
    for subchart in chart.subcharts:
        contents += _all_files(subchart)
    return contents


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
    salt: str | None = None,
) -> str:
    """A digest of every input of rendering ("" when the chart reads revision-dependent fields).

    ``secret_paths`` are the values' :func:`write_only` paths, when the caller has them already.
    ``salt`` stretches writeOnly values (a new random one when None): pass an earlier
    fingerprint's (:func:`fingerprint_salt`) to compare with it."""
    chart, computed_values = tree.chart, tree.values
    if not revision_independent(chart, computed_values):
        return ""
    paths = write_only(chart, computed_values) if secret_paths is None else secret_paths
    salt = salt or secrets.token_hex(16)
    values, stretched = _with_secrets_stretched(computed_values, paths, salt)
    inputs = {
        "chart": chart_digest(chart),
        "values": values,
        "release": [name, namespace],
        "kube": kube_version or "",
    }
    encoded = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=str).encode()
    return "sha256:" + (f"{salt}:" if stretched else "") + hashlib.sha256(encoded).hexdigest()


def fingerprint_salt(fingerprint: str) -> str | None:
    """The salt a fingerprint's writeOnly values were stretched with (None: it has none)."""
    parts = fingerprint.split(":")
    return parts[1] if len(parts) == 3 else None


def _with_secrets_stretched(values: dict[str, Any], paths: list[tuple], salt: str) -> tuple[dict[str, Any], bool]:
    """``values`` with each writeOnly value (at ``paths``) replaced by a deliberately slow, salted
    digest of it, and whether there was one.

    The fingerprint is stored in the release record; a fast hash over values that include the
    notebook password, or a salt anyone can compute (from the release's name, say), would let
    anyone who can read the record guess the password quickly or with tables made in advance.
    """
    if not paths:
        return values, False
    values = json.loads(json.dumps(values, default=str))
    for path in paths:
        parent = values
        for key in path[:-1]:
            parent = parent[key]
        secret = json.dumps(parent[path[-1]], sort_keys=True).encode()
        digest = hashlib.scrypt(secret, salt=f"tfhelm-fingerprint/{salt}".encode(), n=2**14, r=8, p=1, dklen=32)
        parent[path[-1]] = "scrypt:" + digest.hex()
    return values, True
