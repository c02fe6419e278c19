"""The objects of a release's previous revision, for templates that keep what they generated.

``previous_object(apiVersion, kind, name)`` in a template returns that object as the previous
revision's manifest recorded it, or ``{}`` (on install, in ``tfhelm template``, or when the
previous revision had no such object). It is how a chart keeps a value it generated at random, a
salted password hash for instance, from one upgrade to the next instead of making a new one (and
rolling pods) every time. Unlike Helm's ``lookup`` it never asks the cluster: rendering stays
offline, and what it sees is what tfhelm recorded.

A large manifest (4 MB for a thousand workers) takes seconds to parse, so nothing is parsed until
a template asks, and then only the documents whose text holds the name asked for. A name written
with YAML escapes (``"tf\\u002djupyter"``) is therefore not found.
"""

from __future__ import annotations

import copy
import re
from typing import Any

__all__ = ["PreviousRevision"]

_DOCUMENT_START = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)


class PreviousRevision:
    """The previous revision's manifest (the ``tfhelm template`` stream), searched on demand."""

    def __init__(self, manifest: str = "", namespace: str = "default"):
        self._manifest = manifest
        self._namespace = namespace
        self._found: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def find(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        """A copy of the object, or ``{}``; ``namespace`` defaults to the release's."""
        key = (api_version, kind, name, namespace or self._namespace)
        if key not in self._found:
            self._found[key] = self._search(*key)
        return copy.deepcopy(self._found[key])

    def _search(self, api_version: str, kind: str, name: str, namespace: str) -> dict[str, Any]:
        if not name or name not in self._manifest:
            return {}
        from tfhelm.yamlio import load_yaml

        for document in _DOCUMENT_START.split(self._manifest):
            if name not in document:
                continue
            found = load_yaml(document)
            if isinstance(found, dict) and self._is(found, api_version, kind, name, namespace):
                return found
        return {}

    def _is(self, obj: dict[str, Any], api_version: str, kind: str, name: str, namespace: str) -> bool:
        metadata = obj.get("metadata")
        if obj.get("apiVersion") != api_version or obj.get("kind") != kind or not isinstance(metadata, dict):
            return False
        return metadata.get("name") == name and (metadata.get("namespace") or self._namespace) == namespace
