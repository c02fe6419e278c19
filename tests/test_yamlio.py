"""tfhelm's YAML loading gives exactly what PyYAML's safe_load gives (dates aside), only faster."""

import pytest
import yaml

from tfhelm.yamlio import YamlProblem, dump_yaml, load_yaml, load_yaml_documents, load_yaml_streamed

SAME_AS_SAFE_LOAD = [
    "a: 1\nb: -2\nc: 0x1f\nd: 0o17\ne: 1_000\nf: 1.5\ng: .inf\nh: -.Inf\n",
    "t: true\nf: False\ny: yes\nn: no\non: on\nnull1: null\nnull2: ~\nempty:\n",
    "quoted: '1'\ndouble: \"true\"\nlist: [1, '2', three]\n",
    "anchors:\n  base: &b {x: 1, y: [1, 2]}\n  copy: *b\n",
    "<<: {a: 1, b: 2}\nb: 3\n",
    "merge:\n  - &one {a: 1}\n  - <<: *one\n    b: 2\n",
    "bin: !!binary aGVsbG8=\nset: !!set {a, b}\nexplicit: !!str 123\nint: !!int '7'\n",
    "block: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "nested:\n  - - 1\n    - [2, {k: v}]\n  - {}\n  - []\n",
    "dup: 1\ndup: 2\n",
    "1: int key\n2.5: float key\ntrue: bool key\n~: null key\n",
    "- just\n- a\n- list\n",
    "plain scalar document\n",
]


@pytest.mark.parametrize("text", SAME_AS_SAFE_LOAD)
def test_loading_matches_safe_load(text):
    assert load_yaml(text) == yaml.safe_load(text)


def test_aliases_share_one_object_so_alias_bombs_stay_small():
    loaded = load_yaml("a: &a [1, 2]\nb: [*a, *a, *a]\n")
    assert all(item is loaded["a"] for item in loaded["b"])


def test_timestamps_stay_strings():
    assert load_yaml("d: 2024-01-01\nt: 2001-12-14t21:59:43.10-05:00\n") == {"d": "2024-01-01", "t": "2001-12-14t21:59:43.10-05:00"}


@pytest.mark.parametrize("text", ["a: !!python/object/apply:os.system ['true']\n", "a: !!python/name:os.system\n"])
def test_python_tags_are_refused(text):
    with pytest.raises(YamlProblem):
        load_yaml(text)


def test_errors_carry_the_line():
    with pytest.raises(YamlProblem) as caught:
        load_yaml("a: 1\nb: [2\nc: 3\n")
    assert caught.value.line is not None and caught.value.line >= 2


def test_unhashable_key_is_a_problem_not_a_crash():
    with pytest.raises(YamlProblem, match="unhashable key"):
        load_yaml("{[1]: 2}\n")


def test_deep_nesting_is_a_problem_not_a_crash():
    with pytest.raises(YamlProblem, match="nested too deeply|maximum nesting depth"):
        load_yaml("[" * 5000 + "]" * 5000)


def test_documents_in_order():
    assert list(load_yaml_documents("a: 1\n---\n- 2\n---\n")) == [{"a": 1}, [2], None]


def test_dump_round_trips_and_uses_block_strings():
    value = {"b": [1, {"c": "x"}], "a": "multi\nline\n", "n": None}
    text = dump_yaml(value)
    assert "a: |\n" in text and text.index("b:") < text.index("a:")
    assert load_yaml(text) == value


# --------------------------------------------------------------------------- load_yaml_streamed

STREAMED_CASES = [
    "",
    "# only a comment\n",
    "a: 1\nb: [1, 2.5, true, null, ~, 0x1F, 0o17, .inf, -.nan, 1_000]\nc: {d: 'e', f: \"g\"}\n",
    "date: 2024-01-01\nwhen: 2024-01-01T00:00:00Z\nversion: 1.10\nv: '1.10'\nyes: yes\nno: off\n",
    "- a\n- - b\n  - c: |\n      text\n      more\n- ! 12\n- !!str 12\n- !!int '12'\n",
    "base: &b {x: 1}\nuse: *b\n",
    "base: &b {x: 1}\nmerged:\n  <<: *b\n  y: 2\n",
    "? [a, b]\n: 1\n",
    "? {a: 1}\n: 1\n",
    "key: value\nkey: later\n",
    "entries:\n  demo:\n  - name: demo\n    version: 1.0.0\n    urls: [https://example.com/demo-1.0.0.tgz]\n",
    "- !!binary aGVsbG8=\n- !!set {a, b}\n",
]


@pytest.mark.parametrize("text", STREAMED_CASES)
def test_streamed_loading_gives_what_load_yaml_gives(text):
    def outcome(load):
        try:
            return "value", load(text)
        except YamlProblem as problem:
            return "problem", problem.problem, problem.line
        except Exception as error:  # noqa: BLE001 - both must fail the same way
            return "error", type(error).__name__

    assert outcome(load_yaml_streamed) == outcome(load_yaml)


@pytest.mark.parametrize("text", ["a: [1, 2\n", "a: 1\n---\nb: 2\n", f"x: {'9' * 10000}\n", "a: *nowhere\n", "a:\n\t- 1\n"])
def test_streamed_loading_fails_as_load_yaml_does(text):
    with pytest.raises(YamlProblem) as streamed:
        load_yaml_streamed(text)
    with pytest.raises(YamlProblem) as plain:
        load_yaml(text)
    assert (streamed.value.problem, streamed.value.line) == (plain.value.problem, plain.value.line)
