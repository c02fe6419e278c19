"""Chart.yaml: parse and validate it into :class:`~tfhelm.chart.model.Metadata`.

Every problem names Chart.yaml and the line of the offending key. Unknown fields are errors, so
a typo such as ``appversion`` cannot slip through silently.
"""

from __future__ import annotations

import re
from typing import Any

from tfhelm.chart.model import Dependency, Maintainer, Metadata
from tfhelm.errors import ChartError
from tfhelm.yamlio import parse_yaml

__all__ = ["CHART_FILE", "parse_metadata"]

CHART_FILE = "Chart.yaml"
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Helm's aliasNameFormat: an alias names the subchart's values key and its output folder
ALIAS_FORMAT = re.compile(r"[a-zA-Z0-9_-]+")
CHART_TYPES = ("application", "library")

_STRING_FIELDS = ("appVersion", "description", "kubeVersion", "home", "icon", "type")
_KNOWN_FIELDS = {
    "apiVersion",
    "name",
    "version",
    "keywords",
    "maintainers",
    "annotations",
    "dependencies",
    "sources",
    "deprecated",
    *_STRING_FIELDS,
}
_DEPENDENCY_FIELDS = {
    "name",
    "version",
    "repository",
    "condition",
    "tags",
    "alias",
    "enabled",
    "import-values",
}


class _Checker:
    """Raises ChartErrors that point at the line of a top-level key in Chart.yaml."""

    def __init__(self, text: str, source: str):
        self.file = f"{source}/{CHART_FILE}" if source else CHART_FILE
        self.lines = _top_level_key_lines(text)

    def fail(self, key: str | None, message: str) -> ChartError:
        return ChartError(message, file=self.file, line=self.lines.get(key) if key else None)


def _top_level_key_lines(text: str) -> dict[str, int]:
    lines = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"^([A-Za-z][\w-]*)\s*:", line)
        if match and match.group(1) not in lines:
            lines[match.group(1)] = number
    return lines


def parse_metadata(text: str, *, source: str = "") -> Metadata:
    """Parse Chart.yaml text into validated metadata; ``source`` names the chart for messages."""
    checker = _Checker(text, source)
    raw = parse_yaml(text, file=checker.file, error=ChartError)
    if not isinstance(raw, dict):
        raise checker.fail(None, "must be a mapping of fields (apiVersion, name, version, …)")
    _check_fields(raw, checker)
    return Metadata(
        api_version=raw["apiVersion"],
        name=raw["name"],
        version=raw["version"],
        app_version=raw.get("appVersion"),
        description=raw.get("description"),
        kube_version=raw.get("kubeVersion"),
        type=raw.get("type") or "application",
        keywords=tuple(_string_list(raw, "keywords", checker)),
        maintainers=tuple(_maintainers(raw, checker)),
        annotations=_annotations(raw, checker),
        dependencies=tuple(_dependencies(raw, checker)),
        home=raw.get("home"),
        sources=tuple(_string_list(raw, "sources", checker)),
        icon=raw.get("icon"),
        deprecated=bool(raw.get("deprecated", False)),
        raw=raw,
    )


def _check_fields(raw: dict[str, Any], checker: _Checker) -> None:
    for key in raw:
        if key not in _KNOWN_FIELDS:
            raise checker.fail(key, f"unknown field {key!r} (known fields: {', '.join(sorted(_KNOWN_FIELDS))})")
    for key in ("apiVersion", "name", "version"):
        if raw.get(key) in (None, ""):
            raise checker.fail(key, f"{key!r} is required")
    if raw["apiVersion"] != "v2":
        raise checker.fail("apiVersion", f"apiVersion must be 'v2', not {raw['apiVersion']!r}")
    _check_name(raw["name"], checker)
    _check_version(raw["version"], checker)
    for key in _STRING_FIELDS:
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            raise checker.fail(key, f'{key} must be a string, got {raw[key]!r} (quote it: {key}: "{raw[key]}")')
    if raw.get("type") not in (None, *CHART_TYPES):
        raise checker.fail("type", f"type must be one of {', '.join(CHART_TYPES)}, not {raw['type']!r}")
    if not isinstance(raw.get("deprecated", False), bool):
        raise checker.fail("deprecated", "deprecated must be true or false")
    if raw.get("kubeVersion"):
        _check_constraint(raw["kubeVersion"], checker)


def _check_name(name: object, checker: _Checker) -> None:
    if not isinstance(name, str) or len(name) > 63 or not DNS1123_LABEL.fullmatch(name):
        raise checker.fail(
            "name",
            f"name {name!r} is not a valid chart name: use at most 63 lower-case letters, digits and '-', "
            "starting and ending with a letter or digit",
        )


def _check_version(version: object, checker: _Checker) -> None:
    from tfhelm.versions import is_valid_semver

    if not isinstance(version, str) or not is_valid_semver(version):
        raise checker.fail("version", f"version {version!r} is not a valid SemVer 2 version (for example 1.4.0)")


def _check_constraint(text: str, checker: _Checker) -> None:
    from tfhelm.versions import parse_constraint

    try:
        parse_constraint(text)
    except ValueError as error:
        raise checker.fail("kubeVersion", f"kubeVersion {text!r} is not a valid constraint: {error}") from None


def _string_list(raw: dict[str, Any], key: str, checker: _Checker) -> list[str]:
    items = raw.get(key) or []
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise checker.fail(key, f"{key} must be a list of strings")
    return items


def _maintainers(raw: dict[str, Any], checker: _Checker) -> list[Maintainer]:
    entries = raw.get("maintainers") or []
    if not isinstance(entries, list):
        raise checker.fail("maintainers", "maintainers must be a list of {name, email, url}")
    maintainers = []
    for index, entry in enumerate(entries):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or set(entry) - {"name", "email", "url"}
        ):
            raise checker.fail("maintainers", f"maintainers[{index}] must be a mapping with a name (and email, url)")
        maintainers.append(Maintainer(entry["name"], entry.get("email"), entry.get("url")))
    return maintainers


def _annotations(raw: dict[str, Any], checker: _Checker) -> dict[str, str]:
    annotations = raw.get("annotations") or {}
    if not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values()):
        raise checker.fail("annotations", "annotations must be a mapping of strings to strings (quote numbers)")
    return {str(key): value for key, value in annotations.items()}


def _dependencies(raw: dict[str, Any], checker: _Checker) -> list[Dependency]:
    entries = raw.get("dependencies") or []
    if not isinstance(entries, list):
        raise checker.fail("dependencies", "dependencies must be a list")
    return [_dependency(index, entry, checker) for index, entry in enumerate(entries)]


def _dependency(index: int, entry: object, checker: _Checker) -> Dependency:
    where = f"dependencies[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise checker.fail("dependencies", f"{where} must be a mapping with a name")
    unknown = set(entry) - _DEPENDENCY_FIELDS
    if unknown:
        raise checker.fail("dependencies", f"{where} has unknown field(s): {', '.join(sorted(unknown))}")
    tags = entry.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise checker.fail("dependencies", f"{where}.tags must be a list of strings")
    for field_name in ("repository", "condition", "alias"):
        if entry.get(field_name) is not None and not isinstance(entry[field_name], str):
            raise checker.fail("dependencies", f"{where}.{field_name} must be a string, got {entry[field_name]!r}")
    if entry.get("enabled") is not None and not isinstance(entry["enabled"], bool):
        raise checker.fail("dependencies", f"{where}.enabled must be true or false")
    if entry.get("alias") and not ALIAS_FORMAT.fullmatch(entry["alias"]):
        raise checker.fail(
            "dependencies",
            f"{where}.alias {entry['alias']!r} (of dependency {entry['name']!r}) may only hold letters, digits, "
            "'_' and '-': it names the subchart's values key and its folder in the output",
        )
    return Dependency(
        name=entry["name"],
        version=None if entry.get("version") is None else str(entry["version"]),
        repository=entry.get("repository"),
        condition=entry.get("condition"),
        tags=tuple(str(tag) for tag in tags),
        alias=entry.get("alias"),
        enabled=entry.get("enabled"),
        import_values=tuple(entry.get("import-values") or ()),
    )
