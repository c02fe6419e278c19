"""The compiled-template cache: private, keyed by source, invisible in results, sandbox intact."""

import stat

import jinja2
import pytest

from tfhelm.chart import load_chart
from tfhelm.engine import ReleaseInfo, render
from tfhelm.errors import RenderError

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: {{ Values.v | quote }}\n"


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TFHELM_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TFHELM_NO_TEMPLATE_CACHE", raising=False)
    return tmp_path / "cache" / "templates"


def _render(root, values):
    return render(load_chart(root), values, release=ReleaseInfo("r")).manifest_text


@pytest.fixture
def compiled(monkeypatch):
    """The names of the templates Jinja's compiler was run on, in order."""
    names: list[str] = []
    compile_source = jinja2.Environment.compile

    def spy(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return compile_source(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", spy)
    return names


def test_a_second_render_loads_the_compiled_template_from_the_cache(chart_dir, cache_home, compiled):
    root = chart_dir({"templates/cm.yaml": CM})
    _render(root, {"v": 1})
    assert compiled == ["cm.yaml"]
    assert 'v: "2"' in _render(root, {"v": 2})  # a new environment, so only the disk cache can serve it
    assert compiled == ["cm.yaml"]


def test_without_the_cache_every_render_compiles(chart_dir, cache_home, compiled, monkeypatch):
    monkeypatch.setenv("TFHELM_NO_TEMPLATE_CACHE", "1")
    root = chart_dir({"templates/cm.yaml": CM})
    _render(root, {"v": 1})
    _render(root, {"v": 1})
    assert compiled == ["cm.yaml", "cm.yaml"]
    assert not cache_home.exists()


def test_cached_renders_match_and_the_cache_is_private(chart_dir, cache_home):
    root = chart_dir({"templates/cm.yaml": CM})
    first = _render(root, {"v": 1})
    files = list(cache_home.iterdir())
    assert files, "nothing was cached"
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) & 0o077 == 0 for f in files)
    assert _render(root, {"v": 1}) == first


def test_an_edited_template_is_compiled_again(chart_dir, cache_home, compiled):
    root = chart_dir({"templates/cm.yaml": CM})
    _render(root, {"v": 1})
    (root / "templates" / "cm.yaml").write_text(CM.replace("quote", "b64enc | quote"))
    assert 'v: "MQ=="' in _render(root, {"v": 1})
    assert compiled == ["cm.yaml", "cm.yaml"]


def test_the_sandbox_holds_for_cached_templates(chart_dir, cache_home):
    root = chart_dir({"templates/cm.yaml": "{{ Values.__class__.__mro__ }}\n"})
    for _ in range(2):
        with pytest.raises(RenderError):
            _render(root, {})


def test_an_unusable_cache_directory_only_means_no_cache(chart_dir, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("TFHELM_CACHE_HOME", str(blocker))
    root = chart_dir({"templates/cm.yaml": CM})
    assert "v: \"2\"" in _render(root, {"v": 2})


def test_a_shared_cache_directory_is_not_used(chart_dir, cache_home, compiled):
    cache_home.mkdir(parents=True)
    cache_home.chmod(0o777)
    root = chart_dir({"templates/cm.yaml": CM})
    _render(root, {"v": 1})
    _render(root, {"v": 1})
    assert list(cache_home.iterdir()) == []
    assert compiled == ["cm.yaml", "cm.yaml"]
