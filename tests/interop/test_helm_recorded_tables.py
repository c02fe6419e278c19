"""The tables recorded from Helm, re-checked against the real Helm 4 binary.

The unit tests pin tfhelm to behaviour recorded from Helm once: ``HELM_CASES`` in
tests/values/test_strvals.py (``--set`` and its siblings) and ``CONSTRAINT_CASES`` /
``HIGHEST_MATCH_CASES`` in tests/test_versions.py (Masterminds/semver constraints, which Helm uses
to pick chart versions). Here every row runs through the real binary again, so a row recorded
wrong, or one a new Helm changed, fails here instead of silently pinning tfhelm to a fiction.

* ``--set`` rows: ``helm template`` of a chart whose only template is ``{{ toJson .Values }}``,
  one run per row (``into`` given with ``-f``; ``--set-file`` reads real files holding FILES),
  run in parallel. Helm's values (or its error) must be what the row recorded, and where the row
  says tfhelm matches Helm, tfhelm's own parse must equal Helm's live output too.
* constraint rows: one ``helm dependency update`` of a chart that depends, per row, on a chart
  whose index lists only that row's version. Helm's resolver names every dependency it cannot
  satisfy, which must be exactly the rows recorded as not allowed. The highest-match rows (those
  without ``--devel``: dependencies have none) run in a second update, each against all of INDEX;
  Chart.lock must name the recorded version, the one tfhelm's ``highest_match`` picks.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from chart_repository import ChartRepository
from oci_registry import find_helm, helm_env
from test_versions import CONSTRAINT_CASES, HIGHEST_MATCH_CASES, INDEX
from values.test_strvals import FILES, HELM_CASES, PARSERS, Differs, Rejected, Stricter, _case_id, _exact

from tfhelm.chart.archive import build_chart_archive
from tfhelm.versions import highest_match, parse_constraint, parse_version

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def helm(tmp_path_factory):
    binary = find_helm()
    home = tmp_path_factory.mktemp("helm-home")
    env = helm_env(home)

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([binary, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)

    return run


# --------------------------------------------------------------------------- --set and its siblings


@pytest.fixture(scope="module")
def helm_values(helm, tmp_path_factory, request):
    """The selected HELM_CASES rows run through ``helm template``: row number -> completed process."""
    selected = sorted(
        item.callspec.params["number"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_helm_still_parses_as_recorded"
    )
    root = tmp_path_factory.mktemp("strvals")
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    (chart / "templates" / "values.json").write_text("{{ toJson .Values }}\n")
    files = root / "files"
    files.mkdir()
    for name, text in FILES.items():
        (files / name).write_text(text)

    def run(numbered: tuple[int, tuple]) -> subprocess.CompletedProcess:
        number, (flag, expression, into, _) = numbered
        args = ["template", "x", str(chart), flag, expression]
        if into is not None:
            values_file = root / f"into-{number}.json"
            values_file.write_text(json.dumps(into))
            args += ["-f", str(values_file)]
        return helm(*args, cwd=files)

    with ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 1)) as pool:
        return dict(zip(selected, pool.map(run, [(number, HELM_CASES[number]) for number in selected])))


def _rendered_values(done: subprocess.CompletedProcess) -> object:
    header = "---\n# Source: x/templates/values.json\n"
    assert done.stdout.startswith(header), done.stdout
    return json.loads(done.stdout[len(header):])


@pytest.mark.parametrize("number", range(len(HELM_CASES)), ids=[_case_id(case) for case in HELM_CASES])
def test_helm_still_parses_as_recorded(helm_values, number):
    flag, expression, into, expected = HELM_CASES[number]
    done = helm_values[number]
    if isinstance(expected, Rejected):
        assert done.returncode == 1, f"Helm now accepts it: {done.stdout}"
        assert done.stderr.startswith("Error: ") and done.stderr.rstrip("\n").endswith(expected.helm_message), done.stderr
        return
    assert done.returncode == 0, done.stderr
    helm_values_now = _rendered_values(done)
    recorded = expected.helm_values if isinstance(expected, (Stricter, Differs)) else expected
    assert _exact(helm_values_now) == _exact(recorded)
    if isinstance(expected, dict):  # tfhelm claims to match Helm here: compare with Helm itself
        into_copy = json.loads(json.dumps(into)) if into is not None else None
        assert _exact(PARSERS[flag](expression, into_copy)) == _exact(helm_values_now)


# --------------------------------------------------------------------------- constraints


def _index_entry(repo: ChartRepository, name: str, version: str, number: int) -> dict:
    archive = f"{name}-{number}.tgz"
    chart_yaml = f"apiVersion: v2\nname: {name}\nversion: {json.dumps(version)}\n"
    (repo.root / archive).write_bytes(build_chart_archive(name, {"Chart.yaml": chart_yaml.encode()}))
    return {"apiVersion": "v2", "name": name, "version": version, "urls": [f"{repo.url}/{archive}"]}


def _dependency_update(helm, root: Path, repo: ChartRepository, wanted: dict[str, tuple[str, list[str]]]):
    """``helm dependency update`` of a chart depending on each NAME (constraint) of ``wanted``,
    served from an index that lists, for NAME, exactly the given versions."""
    entries = {
        name: [_index_entry(repo, name, version, number) for number, version in enumerate(versions)]
        for name, (_, versions) in wanted.items()
    }
    (repo.root / "index.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "entries": entries}))
    parent = root / "parent"
    parent.mkdir()
    dependencies = [{"name": name, "version": constraint, "repository": repo.url} for name, (constraint, _) in wanted.items()]
    (parent / "Chart.yaml").write_text(
        yaml.safe_dump({"apiVersion": "v2", "name": "parent", "version": "1.0.0", "dependencies": dependencies})
    )
    return parent, helm("dependency", "update", str(parent))


@pytest.fixture
def repo(tmp_path):
    server = ChartRepository(tmp_path / "served")
    yield server
    server.stop()


def test_helm_allows_exactly_the_recorded_constraint_rows(helm, repo, tmp_path):
    wanted = {f"row{number}": (constraint, [version]) for number, (constraint, version, _) in enumerate(CONSTRAINT_CASES)}
    _, done = _dependency_update(helm, tmp_path, repo, wanted)
    assert done.returncode == 1, "Helm resolved every row, but some are recorded as not allowed"
    assert "can't get a valid version for" in done.stderr, done.stderr
    refused = {int(number) for number in re.findall(r'"row(\d+)" \(repository', done.stderr)}
    disagreements = [
        f"{constraint!r} {'allows' if number not in refused else 'refuses'} {version} in Helm, "
        f"recorded: {'allowed' if expected else 'refused'}"
        for number, (constraint, version, expected) in enumerate(CONSTRAINT_CASES)
        if (number not in refused) is not expected
    ]
    assert disagreements == []


def test_helm_picks_the_recorded_highest_match(helm, repo, tmp_path):
    rows = [(constraint, expected) for constraint, devel, expected in HIGHEST_MATCH_CASES if not devel]
    assert len(rows) >= 8
    wanted = {f"pick{number}": (constraint, INDEX) for number, (constraint, _) in enumerate(rows)}
    parent, done = _dependency_update(helm, tmp_path, repo, wanted)
    assert done.returncode == 0, done.stderr
    locked = {d["name"]: d["version"] for d in yaml.safe_load((parent / "Chart.lock").read_text())["dependencies"]}
    for number, (constraint, expected) in enumerate(rows):
        picked = locked[f"pick{number}"]
        assert str(parse_version(picked, strict=False)) == expected, (constraint, picked)
        tfhelm_pick = highest_match(parse_constraint(constraint), INDEX)
        assert tfhelm_pick is not None and tfhelm_pick.original == picked, (constraint, picked, tfhelm_pick)
