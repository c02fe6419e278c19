"""``tfhelm create NAME``: write the starter chart (:mod:`tfhelm.chart.starter`) into directory NAME.

The chart is named after the directory's last component. A new directory is written whole in a
temporary sibling and renamed into place, so a failure leaves nothing behind; into an existing
directory, nothing is written when any starter file is already there (Helm would overwrite it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tfhelm.errors import ChartError, UsageError

__all__ = ["CreateOptions", "create_chart"]


@dataclass(frozen=True)
class CreateOptions:
    path: Path  # the chart's directory; its name is the chart's name


def create_chart(options: CreateOptions) -> Path:
    """Write the starter chart; returns its directory."""
    from tfhelm.chart.metadata import parse_metadata
    from tfhelm.chart.starter import starter_files

    target = Path(options.path)
    name = target.resolve().name
    files = starter_files(name)
    try:
        parse_metadata(files["Chart.yaml"], source=str(target))
    except ChartError:
        raise UsageError(
            f"cannot create a chart named {name!r}: a chart name is at most 63 lower-case letters, digits "
            f"and '-', starting and ending with a letter or digit (e.g. {_suggest(name)!r})"
        ) from None
    if target.exists() and not target.is_dir():
        raise ChartError(f"cannot create chart {name!r}: {target} exists and is not a directory")
    if target.is_dir():
        _write_into(target, files)
    else:
        _write_new(target, files)
    return target


def _write_into(target: Path, files: dict[str, str]) -> None:
    from tfhelm.fileio import write_file_atomically

    present = sorted(path for path in files if (target / path).exists())
    if present:
        raise ChartError(f"not creating a chart in {target}: {', '.join(present)} already there (nothing was written)")
    for path, text in files.items():
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        write_file_atomically(target / path, text.encode("utf-8"))


def _write_new(target: Path, files: dict[str, str]) -> None:
    import shutil
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for path, text in files.items():
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_text(text, encoding="utf-8")
        staging.chmod(0o755)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _suggest(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63] or "my-chart"
