import pytest

from tfhelm.errors import ValuesError
from tfhelm.values.options import ValueOptions, load_values_file, merge_values


def test_files_apply_left_to_right(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("jobs: {worker: {tasks: 2}, ps: {tasks: 1}}\n")
    second.write_text("jobs: {worker: {tasks: 3}}\n")
    values = ValueOptions(value_files=(str(first), str(second))).user_values()
    assert values == {"jobs": {"worker": {"tasks": 3}, "ps": {"tasks": 1}}}


def test_helm_fixed_order_json_set_string_file_literal(tmp_path):
    content = tmp_path / "pw.txt"
    content.write_text("from-file")
    options = ValueOptions(
        literal_values=("order=literal",),
        file_values=(f"order={content}", f"f={content}"),
        string_values=("order=string", "s=1"),
        values=("order=set", "n=1"),
        json_values=('order="json"', 'j={"x":[1,2]}'),
    )
    values = options.user_values()
    assert values["order"] == "literal"
    assert values["f"] == "from-file" and values["s"] == "1" and values["n"] == 1
    assert values["j"] == {"x": [1, 2]}


def test_set_patches_a_list_from_a_file(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text("hosts: [a, b, c]\n")
    values = ValueOptions(value_files=(str(path),), values=("hosts[1]=B",)).user_values()
    assert values["hosts"] == ["a", "B", "c"]


def test_stdin_values_file():
    values = ValueOptions(value_files=("-",)).user_values(read_stdin=lambda: "a: 1\n")
    assert values == {"a": 1}


def test_missing_values_file():
    with pytest.raises(ValuesError, match="values file 'nope.yaml' not found"):
        load_values_file("nope.yaml")


def test_values_file_must_be_a_mapping(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text("just a string\n")
    with pytest.raises(ValuesError, match="must hold a mapping, not a str"):
        load_values_file(str(path))


def test_values_file_yaml_error_names_file_and_line(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text("a: 1\nb: {c: 2\n")
    with pytest.raises(ValuesError) as caught:
        load_values_file(str(path))
    assert str(caught.value).startswith(f"{path}:")


def test_merge_values_with_flag_shortcuts():
    merged = merge_values({"a": {"b": 1, "c": 2}}, values=["a.b=null", "a.d=x"])
    assert merged == {"a": {"c": 2, "d": "x"}}
