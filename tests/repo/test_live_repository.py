"""A repository made by tfhelm (package + index), served by a real ``python -m http.server`` on
127.0.0.1, used end to end: add, update, search, pull, load ``repo/chart``, remove."""

from __future__ import annotations

import stat

import pytest
from chart_server import StaticServer, build_repository, isolated_homes

from tfhelm.actions.common import locate_chart
from tfhelm.actions.pull import PullOptions, run_pull
from tfhelm.actions.repo import RepoAddOptions, RepoNames, SearchOptions, repo_add, repo_list, repo_remove, repo_update, search_repo
from tfhelm.errors import ArchiveError, ChartNotFoundError, RepoError
from tfhelm.repo.config import index_cache_path, repository_config_path
from tfhelm.chartsource import ChartSource

VERSIONS = ["0.1.0", "0.2.0", "1.0.0", "1.1.0-rc.1"]


@pytest.fixture
def served(tmp_path, monkeypatch):
    isolated_homes(tmp_path, monkeypatch)
    site = build_repository(tmp_path / "site", VERSIONS)
    with StaticServer(site) as server:
        yield server


def test_add_list_update_remove(served):
    assert repo_add(RepoAddOptions("team", served.url)) == "'team' has been added to your repositories"
    assert index_cache_path("team").exists()
    assert stat.S_IMODE(repository_config_path().stat().st_mode) == 0o600
    assert repo_add(RepoAddOptions("team", served.url)) == "'team' already exists with the same configuration, skipping"
    with pytest.raises(RepoError, match="already exists with another configuration; use --force-update"):
        repo_add(RepoAddOptions("team", served.url + "/other"))
    assert [(r.name, r.display_url) for r in repo_list()] == [("team", served.url)]
    index_cache_path("team").unlink()
    assert [(o.name, o.charts, o.error) for o in repo_update(RepoNames())] == [("team", 1, None)]
    assert index_cache_path("team").exists()
    assert repo_remove(RepoNames(("team",))) == ["'team' has been removed from your repositories"]
    assert not index_cache_path("team").exists()
    with pytest.raises(RepoError, match="no repositories to show"):
        repo_list()


def test_add_refuses_a_url_without_an_index_and_saves_nothing(served):
    with pytest.raises(RepoError, match=r"cannot download the index of repository 'bad' \(.*/nothing/index.yaml\): HTTP 404"):
        repo_add(RepoAddOptions("bad", served.url + "/nothing"))
    assert not repository_config_path().exists()


def test_add_with_credentials_keeps_them_private(served):
    repo_add(RepoAddOptions("private", served.url, ChartSource(username="ci", password="s3cret")))
    text = repository_config_path().read_text()
    assert "password: s3cret" in text and stat.S_IMODE(repository_config_path().stat().st_mode) == 0o600
    assert "s3cret" not in repr(repo_list())


def test_update_reports_each_failure(served):
    repo_add(RepoAddOptions("team", served.url))
    repo_add(RepoAddOptions("gone", served.url, force_update=True))
    from tfhelm.repo.config import Repository, locked_repositories

    with locked_repositories() as config:
        config.put(Repository("gone", "http://127.0.0.1:1"))  # nothing listens on port 1
    outcomes = {outcome.name: outcome for outcome in repo_update(RepoNames())}
    assert outcomes["team"].error is None
    assert "cannot download the index of repository 'gone'" in outcomes["gone"].error
    with pytest.raises(RepoError, match="no chart repository named 'nope'"):
        repo_update(RepoNames(("nope",)))


def test_search(served):
    repo_add(RepoAddOptions("team", served.url))
    rows = lambda keyword=None, all_versions=False, **source: [  # noqa: E731
        (r.name, r.version) for r in search_repo(SearchOptions(keyword, ChartSource(**source), all_versions=all_versions))
    ]
    assert rows() == [("team/hello", "1.0.0")]
    assert rows(devel=True) == [("team/hello", "1.1.0-rc.1")]
    assert rows(all_versions=True) == [("team/hello", v) for v in ("1.0.0", "0.2.0", "0.1.0")]
    assert rows(version="<1", all_versions=True) == [("team/hello", "0.2.0"), ("team/hello", "0.1.0")]
    assert rows(keyword="GREETS") == rows(keyword="team/hel") == rows(keyword="example") == [("team/hello", "1.0.0")]
    assert rows(keyword="tensorflow") == []
    assert search_repo(SearchOptions())[0].to_dict() == {"name": "team/hello", "version": "1.0.0", "app_version": "1.0", "description": "Greets the cluster with a ConfigMap."}


def test_search_warns_about_a_missing_cache(served):
    repo_add(RepoAddOptions("team", served.url))
    index_cache_path("team").unlink()
    warnings = []
    assert search_repo(SearchOptions(warn=warnings.append)) == []
    assert warnings == ["no cached index for repository 'team'; run `tfhelm repo update team`"]


def test_pull_by_constraint(served, tmp_path):
    repo_add(RepoAddOptions("team", served.url))
    result = run_pull(PullOptions("team/hello", tmp_path / "dl", source=ChartSource(version="<1.0")))
    assert result.path == tmp_path / "dl" / "hello-0.2.0.tgz"
    assert result.path.read_bytes() == (tmp_path / "site" / "hello-0.2.0.tgz").read_bytes()
    assert run_pull(PullOptions("team/hello", tmp_path / "dl", source=ChartSource(version="^0.1"))).version == "0.1.0"  # below 1.0, ^ pins the minor
    assert run_pull(PullOptions("team/hello", tmp_path / "dl")).version == "1.0.0"
    assert run_pull(PullOptions("team/hello", tmp_path / "dl", source=ChartSource(devel=True))).version == "1.1.0-rc.1"


def test_pull_untar(served, tmp_path):
    repo_add(RepoAddOptions("team", served.url))
    result = run_pull(PullOptions("team/hello", tmp_path / "dl", untar=True, source=ChartSource(version="0.1.0")))
    assert result.path == tmp_path / "dl" / "hello"
    assert (result.path / "templates" / "configmap.yaml").is_file()
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == ["hello"]


def test_pull_refuses_a_tampered_archive_and_writes_nothing(served, tmp_path):
    repo_add(RepoAddOptions("team", served.url))
    site = tmp_path / "site"
    (site / "hello-1.0.0.tgz").write_bytes((site / "hello-0.1.0.tgz").read_bytes())
    with pytest.raises(ArchiveError, match="digest mismatch for http://127.0.0.1:.*/hello-1.0.0.tgz"):
        run_pull(PullOptions("team/hello", tmp_path / "dl", untar=True, source=ChartSource(version="1.0.0")))
    with pytest.raises(ArchiveError, match="digest mismatch"):
        run_pull(PullOptions("team/hello", tmp_path / "dl", source=ChartSource(version="1.0.0")))
    assert not (tmp_path / "dl").exists()


def test_no_matching_version(served, tmp_path):
    repo_add(RepoAddOptions("team", served.url))
    with pytest.raises(RepoError, match="no version of team/hello matches '>=2'.*versions that exist: 1.1.0-rc.1, 1.0.0, 0.2.0, 0.1.0"):
        run_pull(PullOptions("team/hello", tmp_path, source=ChartSource(version=">=2")))


def test_every_chart_command_accepts_repo_references(served, tmp_path):
    repo_add(RepoAddOptions("team", served.url))
    chart = locate_chart("team/hello", ChartSource(version="~0.1"))
    assert (chart.name, chart.version) == ("hello", "0.1.0")
    assert chart.source.startswith(served.url)
    with pytest.raises(ChartNotFoundError, match="no such directory or archive, and no chart repository named 'nope'"):
        locate_chart("nope/hello")


def test_a_local_directory_wins_over_a_repository(served, tmp_path, monkeypatch):
    repo_add(RepoAddOptions("team", served.url))
    from chart_server import copy_chart

    copy_chart(tmp_path / "team" / "hello", version="9.9.9")
    monkeypatch.chdir(tmp_path)
    assert locate_chart("team/hello").version == "9.9.9"


def test_file_repositories(tmp_path, monkeypatch):
    isolated_homes(tmp_path, monkeypatch)
    site = build_repository(tmp_path / "site", ["0.1.0"])
    repo_add(RepoAddOptions("local", site.as_uri()))
    assert run_pull(PullOptions("local/hello", tmp_path / "dl")).path.is_file()
