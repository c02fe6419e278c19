"""Finding 11 (indexes): a large repository index is read in a few times its size, not ~25 times.

PyYAML's composer held a node graph of about 25 bytes per byte of index (a 21 MB index took
690 MB). Indexes are now built straight from parser events (``yamlio.load_yaml_streamed``);
this test gives ``repo add`` and ``search repo`` a 10 MB index under a 300 MB address-space
limit, which the node graph alone would exceed.
"""

from __future__ import annotations

from security.hostile import run_limited


def _index(charts: int, versions: int) -> str:
    lines = ["apiVersion: v1", "entries:"]
    for chart in range(charts):
        lines.append(f"  chart{chart}:")
        for version in range(versions):
            lines += [
                "  - apiVersion: v2",
                f"    appVersion: {version}.0.0",
                "    created: 2024-01-01T00:00:00Z",
                f"    description: Chart {chart} at version {version}, which does something useful for someone",
                f"    digest: {chart:032x}{version:032x}",
                f"    home: https://example.com/chart{chart}",
                "    keywords: [a, b, c]",
                "    maintainers:",
                "    - {name: someone, email: someone@example.com}",
                f"    name: chart{chart}",
                f"    urls: [https://example.com/charts/chart{chart}-{version}.0.0.tgz]",
                f"    version: {version}.0.0",
            ]
    return "\n".join(lines) + "\n"


def test_a_10_mb_index_is_searched_within_300_mb(tmp_path):
    repository = tmp_path / "repo"
    repository.mkdir()
    (repository / "index.yaml").write_text(_index(1200, 20))
    assert (repository / "index.yaml").stat().st_size > 10_000_000
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    added = run_limited("repo", "add", "big", repository.as_uri(), env=env, memory_mb=300, cpu_seconds=60)
    assert added.returncode == 0, added.stderr
    found = run_limited("search", "repo", "chart1199", env=env, memory_mb=300, cpu_seconds=60)
    assert found.returncode == 0, found.stderr
    assert "big/chart1199" in found.stdout and "19.0.0" in found.stdout
