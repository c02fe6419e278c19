"""Loading charts: a directory (or an archive) becomes a :class:`~tfhelm.chart.model.Chart`.

Both sources are first reduced to one mapping of chart-relative path → bytes, so every check
(Chart.yaml, values.yaml, the schema, templates, subcharts under ``charts/``) runs the same way
whatever the chart came from. ``.tfhelmignore`` (gitignore syntax) excludes files.

A chart and everything under it (its files, the subchart archives in ``charts/`` and theirs,
decompressed) share one :class:`~tfhelm.chart.archive.ArchiveBudget`: a chart tree bigger than
one chart archive may be is refused, naming the file or archive that passed the limit.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from tfhelm.chart.metadata import CHART_FILE, parse_metadata
from tfhelm.chart.model import Chart
from tfhelm.errors import ArchiveError, ChartError, ChartNotFoundError
from tfhelm.yamlio import parse_yaml

if TYPE_CHECKING:
    from tfhelm.chart.archive import ArchiveBudget

__all__ = ["IGNORE_FILE", "chart_from_files", "load_chart", "read_chart_dir"]

IGNORE_FILE = ".tfhelmignore"
VALUES_FILE = "values.yaml"
SCHEMA_FILE = "values.schema.json"
_NOT_FILES = {CHART_FILE, VALUES_FILE, SCHEMA_FILE, "Chart.lock"}


def load_chart(path: str | Path) -> Chart:
    """Load a chart from a directory or a ``.tgz`` archive.

    >>> chart = load_chart("charts/tf-cluster")  # doctest: +SKIP
    >>> chart.name, chart.version                 # doctest: +SKIP
    ('tf-cluster', '0.1.0')
    """
    from tfhelm.chart.archive import ArchiveBudget, read_chart_archive

    path = Path(path)
    budget = ArchiveBudget()
    if path.is_dir():
        return chart_from_files(read_chart_dir(path, budget=budget), source=str(path), budget=budget)
    if path.is_file() and path.name.endswith((".tgz", ".tar.gz")):
        return chart_from_files(read_chart_archive(path, budget=budget), source=str(path), budget=budget)
    if path.exists():
        raise ChartNotFoundError(f"{path} is neither a chart directory nor a .tgz chart archive")
    raise ChartNotFoundError(f"chart {str(path)!r} not found: no such directory or archive")


def read_chart_dir(root: Path, *, budget: ArchiveBudget | None = None) -> dict[str, bytes]:
    """Read every file of a chart directory not excluded by ``.tfhelmignore``.

    Each file is charged to ``budget`` (the chart tree's) before it is read.
    """
    from tfhelm.chart.archive import ArchiveBudget

    budget = budget or ArchiveBudget()
    if not (root / CHART_FILE).is_file():
        raise ChartNotFoundError(f"{root} is not a chart: {CHART_FILE} is missing")
    ignored = _ignore_spec(root)
    real_root = root.resolve()
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if ignored(relative, path.is_dir()) or not path.is_file():
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(real_root):
            # a cloned chart must not pull files such as ~/.kube/config into Files or a package
            raise ChartError(
                f"{relative} is a link to {path.resolve()}, outside the chart; "
                "tfhelm does not follow links out of a chart (copy the file in, or list it in .tfhelmignore)",
                file=str(root),
            )
        problem = budget.charge_file(str(root))
        if not problem:
            with path.open("rb") as stream:  # no more than the budget allows, however big the file
                data = stream.read(budget.remaining_bytes + 1)
            problem = budget.charge_bytes(len(data))
        if problem:
            raise ArchiveError(f"chart {root}: {relative} {problem}; refusing the chart")
        files[relative] = data
    return files


def _ignore_spec(root: Path):
    ignore_file = root / IGNORE_FILE
    if not ignore_file.is_file():
        return lambda relative, is_dir: False
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(_ignore_lines(ignore_file))

    def ignored(relative: str, is_dir: bool) -> bool:
        parts = PurePosixPath(relative).parts
        # a file is ignored when it or any folder above it matches, as in git
        prefixes = ["/".join(parts[: i + 1]) + "/" for i in range(len(parts) - 1)]
        return any(spec.match_file(p) for p in prefixes) or spec.match_file(relative + ("/" if is_dir else ""))

    return ignored


def _ignore_lines(ignore_file: Path) -> list[str]:
    """The ignore file's lines; a line that is not UTF-8 is a ChartError naming it."""
    lines = []
    for number, raw in enumerate(ignore_file.read_bytes().splitlines(), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise ChartError(
                f"not UTF-8 text ({error.reason} at byte {error.start})", file=ignore_file, line=number
            ) from None
    return lines


def chart_from_files(files: dict[str, bytes], *, source: str, budget: ArchiveBudget | None = None) -> Chart:
    """Build a chart from a mapping of chart-relative paths to bytes (a directory or an archive).

    ``budget`` is the chart tree's, already charged with ``files``; without one, ``files`` are
    charged to a new budget, which the subchart archives then share.
    """
    if budget is None:
        from tfhelm.chart.archive import ArchiveBudget

        budget = ArchiveBudget()
        budget.check_files(files, source)
    if CHART_FILE not in files:
        raise ChartNotFoundError(f"{source} is not a chart: {CHART_FILE} is missing")
    _check_file_names(files, source)
    metadata = parse_metadata(_text(files, CHART_FILE, source), source=source)
    own_files, subchart_files = _split_subcharts(files)
    return Chart(
        metadata=metadata,
        values=_default_values(files, source),
        schema=_schema(files, source, metadata.name),
        templates=_templates(own_files, source),
        files={name: data for name, data in own_files.items() if _is_plain_file(name)},
        source=source,
        subcharts=_load_subcharts(subchart_files, source, budget),
        lock=_lock(files, source),
        raw_files=files,
    )


def _check_file_names(files: dict[str, bytes], source: str) -> None:
    """Refuse file names with control characters: a newline in a template's name would forge a
    document of ``tfhelm template``'s output (its ``# Source:`` line), an escape the terminal's."""
    from tfhelm.chart.archive import CONTROL_CHARACTER

    for name in files:
        if CONTROL_CHARACTER.search(name):
            raise ChartError(
                f"the file name {name!r} contains a control character (a newline, an escape, …); rename the file",
                file=source,
            )


def _text(files: dict[str, bytes], name: str, source: str) -> str:
    try:
        return files[name].decode("utf-8")
    except UnicodeDecodeError as error:
        raise ChartError(f"not UTF-8 text ({error.reason} at byte {error.start})", file=f"{source}/{name}") from None


def _default_values(files: dict[str, bytes], source: str) -> dict[str, Any]:
    if VALUES_FILE not in files:
        return {}
    where = f"{source}/{VALUES_FILE}"
    values = parse_yaml(_text(files, VALUES_FILE, source), file=where, error=ChartError)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ChartError(f"must be a mapping of values, not a {type(values).__name__}", file=where)
    from tfhelm.values.limits import MAX_VALUES_DEPTH, depth_exceeded

    if depth_exceeded(values):
        raise ChartError(f"values nested deeper than {MAX_VALUES_DEPTH} levels", file=where)
    return values


def _schema(files: dict[str, bytes], source: str, chart_name: str) -> dict[str, Any] | None:
    if SCHEMA_FILE not in files:
        return None
    where = f"{source}/{SCHEMA_FILE}"
    try:
        schema = json.loads(_text(files, SCHEMA_FILE, source))
    except json.JSONDecodeError as error:
        raise ChartError(f"invalid JSON: {error.msg} (column {error.colno})", file=where, line=error.lineno) from None
    except RecursionError:
        raise ChartError("invalid JSON: nested too deeply", file=where) from None
    except MemoryError:
        raise ChartError("too large to load into memory", file=where) from None
    except ValueError as error:  # Python's limit on integer digits (4,300)
        raise ChartError(f"invalid JSON: {error}".split(";")[0], file=where) from None
    if not isinstance(schema, dict):
        raise ChartError("a JSON Schema must be an object", file=where)
    from tfhelm.values.schema import check_schema

    check_schema(schema, chart=chart_name, file=where)
    return schema


def _templates(files: dict[str, bytes], source: str) -> dict[str, str]:
    return {name: _text(files, name, source) for name in sorted(files) if name.startswith("templates/")}


def _is_plain_file(name: str) -> bool:
    return name not in _NOT_FILES and not name.startswith("templates/")


def _split_subcharts(files: dict[str, bytes]) -> tuple[dict[str, bytes], dict[str, dict[str, bytes]]]:
    """Separate the chart's own files from those of each subchart under ``charts/``."""
    own: dict[str, bytes] = {}
    subcharts: dict[str, dict[str, bytes]] = {}
    for name, data in files.items():
        parts = name.split("/", 2)
        if parts[0] != "charts" or len(parts) < 2:
            own[name] = data
        elif len(parts) == 2:
            subcharts.setdefault(parts[1], {})[""] = data
        else:
            subcharts.setdefault(parts[1], {})[parts[2]] = data
    return own, subcharts


def _load_subcharts(subchart_files: dict[str, dict[str, bytes]], source: str, budget: ArchiveBudget) -> list[Chart]:
    """The charts under ``charts/``; their archives' files are charged to the parent's budget
    (an unpacked subchart's files were charged with the parent's)."""
    subcharts = []
    for entry, files in sorted(subchart_files.items()):
        where = f"{source}/charts/{entry}"
        if "" in files:  # a packaged subchart: charts/<name>-<version>.tgz
            if not entry.endswith(".tgz"):
                continue
            from tfhelm.chart.archive import read_chart_archive_bytes

            unpacked = read_chart_archive_bytes(files[""], source=where, budget=budget)
            subcharts.append(chart_from_files(unpacked, source=where, budget=budget))
        elif CHART_FILE in files:
            subcharts.append(chart_from_files(files, source=where, budget=budget))
    return subcharts


def _lock(files: dict[str, bytes], source: str) -> dict[str, Any] | None:
    if "Chart.lock" not in files:
        return None
    lock = parse_yaml(_text(files, "Chart.lock", source), file=f"{source}/Chart.lock", error=ChartError)
    return lock if isinstance(lock, dict) else None
