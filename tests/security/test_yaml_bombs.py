"""Finding 2: YAML alias bombs ("billion laughs") are refused wherever tfhelm reads YAML.

Every loader goes through :mod:`tfhelm.yamlio`; the CLI cases run under a memory and CPU limit,
so a bomb that got through would fail the test instead of exhausting the machine.
"""

from __future__ import annotations

import time

import pytest

from chart_server import isolated_homes
from helpers import DEMO_CHART
from security.hostile import assert_refused, files_under, run_limited
from tfhelm.yamlio import YamlProblem, load_yaml, load_yaml_documents

# 9 levels of 9 aliases: a few hundred bytes that expand to about 490 million nodes
BOMB_LINES = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] + [
    f"{key}: &{key} [{', '.join([f'*{previous}'] * 9)}]" for previous, key in zip("abcdefgh", "bcdefghi")
]
BOMB = "\n".join(BOMB_LINES) + "\n"
BOMB_LINE = 8  # the anchor &h, aliased nine times by i


def test_the_bomb_is_small():
    assert len(BOMB) < 600


def test_load_yaml_refuses_the_bomb_quickly_naming_the_line():
    started = time.monotonic()
    with pytest.raises(YamlProblem) as caught:
        load_yaml(BOMB)
    assert time.monotonic() - started < 1
    assert caught.value.problem.startswith("excessive aliasing: aliases expand the 28 nodes written to 490,329,064 nodes")
    assert caught.value.line == BOMB_LINE


def test_every_document_of_a_stream_is_checked():
    with pytest.raises(YamlProblem, match="excessive aliasing"):
        list(load_yaml_documents("ok: 1\n---\n" + BOMB))


def test_mapping_bombs_and_merge_keys_are_counted_too():
    levels = ["l0: &l0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}"]
    levels += [f"l{n}: &l{n} {{{', '.join(f'k{i}: *l{n - 1}' for i in range(10))}}}" for n in range(1, 8)]
    with pytest.raises(YamlProblem, match="excessive aliasing"):
        load_yaml("\n".join(levels))
    merges = ["m0: &m0 {a: [x, x, x, x, x, x, x, x, x, x]}"]
    merges += [f"m{n}: &m{n} {{<<: [{', '.join([f'*m{n - 1}'] * 10)}], k{n}: [{', '.join([f'*m{n - 1}'] * 10)}]}}" for n in range(1, 8)]
    with pytest.raises(YamlProblem, match="excessive aliasing"):
        load_yaml("\n".join(merges))


@pytest.mark.parametrize("text", ["a: &a [1, *a]\n", "a: &a {b: {c: *a}}\n", "- &s [x, [y, *s]]\n"])
def test_recursive_aliases_are_refused(text):
    with pytest.raises(YamlProblem, match="an alias refers to a node that contains it"):
        load_yaml(text)


def test_ordinary_anchors_still_load():
    defaults = "defaults: &d {image: tf, resources: {cpu: 1, memory: 1Gi}, env: [A, B, C]}\n"
    workers = "".join(f"w{n}: {{<<: *d, name: w{n}}}\nr{n}: *d\n" for n in range(300))
    loaded = load_yaml(defaults + workers)
    assert loaded["w299"]["name"] == "w299" and loaded["r7"]["resources"]["memory"] == "1Gi"


def test_a_hundredfold_expansion_of_a_small_document_is_within_the_budget():
    # yaml.v3 lets up to 99% of a document (of up to 400,000 nodes) come from aliases
    text = "x: &x [" + ", ".join(["v"] * 50) + "]\n" + "l: [" + ", ".join(["*x"] * 90) + "]\n"
    assert len(load_yaml(text)["l"]) == 90


# --------------------------------------------------------------------------- through the CLI


def test_values_file_bomb(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    result = run_limited("template", str(DEMO_CHART), "-f", str(bomb))
    assert_refused(result, f"{bomb}:{BOMB_LINE}: ", "excessive aliasing")


def test_values_bomb_on_stdin():
    result = run_limited("template", str(DEMO_CHART), "-f", "-", stdin=BOMB)
    assert_refused(result, f"<stdin>:{BOMB_LINE}: ", "excessive aliasing")


def test_chart_values_yaml_bomb(chart_dir):
    chart = chart_dir({"values.yaml": BOMB, "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    for command in (["template", str(chart)], ["lint", str(chart)]):
        result = run_limited(*command)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"{chart}/values.yaml:{BOMB_LINE}: " in result.stdout + result.stderr
        assert "excessive aliasing" in result.stdout + result.stderr


def test_chart_yaml_bomb_is_refused_by_template_and_package(chart_dir, tmp_path):
    chart = chart_dir({"Chart.yaml": "apiVersion: v2\nname: mini\nversion: 0.1.0\n" + BOMB + "keywords: *i\n"})
    assert_refused(run_limited("template", str(chart)), f"{chart}/Chart.yaml:", "excessive aliasing")
    result = run_limited("package", str(chart), "-d", str(tmp_path / "dist"))
    assert result.returncode == 1 and "excessive aliasing" in result.stderr and "Traceback" not in result.stderr
    assert files_under(tmp_path / "dist") == []


def test_chart_lock_bomb(chart_dir):
    chart = chart_dir({"Chart.lock": BOMB, "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    assert_refused(run_limited("template", str(chart)), f"{chart}/Chart.lock:{BOMB_LINE}: ", "excessive aliasing")


def test_rendered_manifest_bomb_names_the_template(chart_dir):
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n" + "".join(f"  {line}\n" for line in BOMB_LINES)
    chart = chart_dir({"templates/cm.yaml": "{% raw %}" + manifest + "{% endraw %}"})
    assert_refused(run_limited("template", str(chart)), "mini/templates/cm.yaml", "excessive aliasing")


def test_repository_index_bomb(tmp_path):
    env = isolated_homes(tmp_path)
    (tmp_path / "tfhelm-config").mkdir()
    (tmp_path / "tfhelm-config" / "repositories.yaml").write_text("repositories:\n- name: evil\n  url: https://evil.invalid\n")
    index = tmp_path / "tfhelm-cache" / "repository" / "evil-index.yaml"
    index.parent.mkdir(parents=True)
    index.write_text("apiVersion: v1\nentries: {}\n" + BOMB + "x: *i\n")
    result = run_limited("search", "repo", "lol", env=env)
    assert "Traceback" not in result.stderr
    assert f"{index}:" in result.stderr and "excessive aliasing" in result.stderr


def test_kubeconfig_bomb(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n" + BOMB + "preferences: *i\n")
    result = run_limited("list", "--kubeconfig", str(kubeconfig))
    assert_refused(result, f"kubeconfig {kubeconfig}:", "excessive aliasing")


def test_yamlio_is_the_only_module_that_parses_yaml():
    """The alias budget holds only if nothing loads YAML around it."""
    import ast

    from helpers import REPO

    offenders = []
    for path in sorted((REPO / "tfhelm").rglob("*.py")):
        if path.name == "yamlio.py" and path.parent.name == "tfhelm":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if any(name.split(".")[0] in ("yaml", "ruamel") for name in names) or (module or "").split(".")[0] in ("yaml", "ruamel"):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []
