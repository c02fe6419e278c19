"""Offline Kubernetes OpenAPI schemas: check rendered objects like the API server would.

The schemas come from the ``kubernetes-validate`` package (strict variants: unknown fields are
errors), an optional extra: ``pip install 'tfhelm[validate]'``. Its own ``validate()`` re-reads
a 1.4 MB definitions file for every object and stops at the first error, so tfhelm reads the
package's schema files itself, builds one validator per kind and version, and reports every
error of an object.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from tfhelm.errors import SchemaUnavailable, UnknownKind

__all__ = [
    "KubeSchemaProblem",
    "available_versions",
    "check_object",
    "schema_version_for",
]

_STRICT_DIR = re.compile(r"^v(\d+)\.(\d+)\.\d+-local-strict$")


@dataclass(frozen=True)
class KubeSchemaProblem:
    """One schema violation of an object: a dotted field path and a message."""

    path: str
    message: str


def _schema_root() -> Path:
    try:
        import kubernetes_validate
    except ImportError:
        raise SchemaUnavailable(
            "Kubernetes object schemas are not installed: pip install 'tfhelm[validate]' "
            "(adds the kubernetes-validate package)"
        ) from None
    return Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


@lru_cache(maxsize=1)
def available_versions() -> tuple[tuple[int, int], ...]:
    """The (major, minor) Kubernetes versions strict schemas exist for, oldest first."""
    found = []
    for entry in _schema_root().iterdir():
        match = _STRICT_DIR.match(entry.name)
        if match:
            found.append((int(match.group(1)), int(match.group(2))))
    return tuple(sorted(found))


def schema_version_for(major: int, minor: int) -> tuple[int, int]:
    """The newest schema version not newer than the requested Kubernetes version."""
    versions = available_versions()
    usable = [version for version in versions if version <= (major, minor)]
    if not usable:
        oldest, newest = versions[0], versions[-1]
        raise SchemaUnavailable(
            f"no Kubernetes schemas for {major}.{minor}: available are "
            f"{oldest[0]}.{oldest[1]} to {newest[0]}.{newest[1]}"
        )
    return usable[-1]


def check_object(obj: dict[str, Any], major: int, minor: int) -> list[KubeSchemaProblem]:
    """Every schema violation of ``obj`` for Kubernetes ``major.minor``, sorted by path.

    Raises :class:`UnknownKind` when the schemas have no such kind/apiVersion.
    """
    version = schema_version_for(major, minor)
    validator = _validator(version, _schema_file_name(obj["kind"], obj["apiVersion"]))
    problems = [KubeSchemaProblem(_dotted(error.absolute_path), error.message) for error in validator.iter_errors(obj)]
    return sorted(problems, key=lambda problem: problem.path)


def _schema_file_name(kind: str, api_version: str) -> str:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


def _dotted(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(object)"


@cache
def _validator(version: tuple[int, int], file_name: str) -> Any:
    import jsonschema
    from referencing import Registry, Resource

    directory = _schema_root() / f"v{version[0]}.{version[1]}.0-local-strict"
    schema_file = directory / file_name
    if not schema_file.is_file():
        raise UnknownKind(file_name)
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    # both files carry an $id (https://kubernetes.io/api/...), which their $refs resolve against
    registry = _definitions(directory) @ (Resource.from_contents(schema, default_specification=_draft()) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _draft() -> Any:
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


@cache
def _definitions(directory: Path) -> Any:
    from referencing import Resource

    contents = json.loads((directory / "_definitions.json").read_text(encoding="utf-8"))
    return Resource.from_contents(contents, default_specification=_draft())
