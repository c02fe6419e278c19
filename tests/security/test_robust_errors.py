"""Finding 11: deep nesting, giant numbers, bad encodings and endless inputs are tfhelm errors.

Each used to surface as "unexpected RecursionError / ValueError / UnicodeDecodeError" without a
file, or to read ``/dev/zero`` until memory ran out. Now each names the file (and line where
known) or the flag and key, exits 1 without a traceback, and writes nothing.
"""

from __future__ import annotations

import pytest

from security.hostile import assert_refused, files_under, run_limited
from tfhelm.values.limits import MAX_VALUES_BYTES, MAX_VALUES_DEPTH

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
DIGITS = "9" * 10_000


@pytest.fixture
def chart(chart_dir):
    return chart_dir({"templates/cm.yaml": CM, "values.yaml": "{}\n"})


def _refused(tmp_path, *args, fragments, stdin=None):
    out = tmp_path / "out"
    result = run_limited("template", *args, "--output-dir", str(out), stdin=stdin, cpu_seconds=20)
    assert_refused(result, *fragments)
    assert files_under(out) == []


@pytest.mark.parametrize(("text", "line"), [(f"x: {DIGITS}\n", 1), (f"a: 1\nx:\n  - [{DIGITS}]\n", 3)])
def test_a_10000_digit_number_in_a_values_file_names_file_and_line(chart, tmp_path, text, line):
    values = tmp_path / "big.yaml"
    values.write_text(text)
    _refused(tmp_path, str(chart), "-f", str(values),
             fragments=[f"Error: {values}:{line}: invalid YAML: a number of 10,000 characters is too long to read"])


def test_a_10000_digit_number_in_the_schema_names_the_schema_file(chart_dir, tmp_path):
    chart = chart_dir({"templates/cm.yaml": CM, "values.schema.json": '{"maximum": ' + DIGITS + "}"})
    _refused(tmp_path, str(chart), fragments=[f"Error: {chart}/values.schema.json: invalid JSON: Exceeds the limit (4300 digits)"])


def test_a_10000_digit_set_value_stays_a_string_as_in_helm(chart_dir):
    chart = chart_dir({"templates/cm.yaml": CM + "data:\n  n: {{ Values.n | length }}\n"})
    result = run_limited("template", str(chart), "--set", f"n={DIGITS}")
    assert result.returncode == 0, result.stderr
    assert "n: 10000" in result.stdout


@pytest.mark.parametrize(("source", "flag", "message"), [
    ("file", "-f", "values nested deeper than {depth} levels"),
    ("json", "--set-json", "--set-json for key 'x': values nested deeper than {depth} levels"),
])
def test_deeply_nested_values_are_refused_before_merging(chart, tmp_path, source, flag, message):
    depth = MAX_VALUES_DEPTH + 100
    if source == "file":
        values = tmp_path / "deep.yaml"
        values.write_text("x: " + "{a: " * depth + "1" + "}" * depth + "\n")
        argument, prefix = str(values), f"Error: {values}: "
    else:
        argument, prefix = "x=" + "[" * 900 + "]" * 900, "Error: "
    _refused(tmp_path, str(chart), flag, argument, fragments=[prefix + message.format(depth=MAX_VALUES_DEPTH)])


def test_a_chart_whose_values_nest_too_deeply_is_refused(chart_dir, tmp_path):
    chart = chart_dir({"templates/cm.yaml": CM, "values.yaml": "x: " + "[" * 300 + "]" * 300 + "\n"})
    _refused(tmp_path, str(chart), fragments=[f"Error: {chart}/values.yaml: values nested deeper than {MAX_VALUES_DEPTH} levels"])


def test_a_deeply_nested_schema_names_the_schema_file(chart_dir, tmp_path):
    chart = chart_dir({"templates/cm.yaml": CM, "values.schema.json": '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"})
    _refused(tmp_path, str(chart), fragments=[f"Error: {chart}/values.schema.json: invalid JSON: nested too deeply"])


def test_a_deeply_nested_template_names_the_template(chart_dir, tmp_path):
    chart = chart_dir({"templates/cm.yaml": CM, "templates/deep.yaml": "{% if true %}" * 3000 + "{% endif %}" * 3000})
    _refused(tmp_path, str(chart), fragments=["Error: mini/templates/deep.yaml: templates nest too deeply"])


def test_a_tfhelmignore_that_is_not_utf8_names_file_and_line(chart, tmp_path):
    (chart / ".tfhelmignore").write_bytes(b"*.bak\n\xff\xfe oops\n")
    _refused(tmp_path, str(chart), fragments=[f"Error: {chart}/.tfhelmignore:2: not UTF-8 text (invalid start byte at byte 0)"])


@pytest.mark.parametrize("name", ["values.yaml", "templates/cm.yaml", "Chart.yaml", "values.schema.json"])
def test_other_chart_text_files_that_are_not_utf8_are_named(chart, tmp_path, name):
    path = chart / name
    path.write_bytes(path.read_bytes() + b"\n# \xff\n") if name != "values.schema.json" else path.write_bytes(b'{"a": "\xff"}')
    _refused(tmp_path, str(chart), fragments=[f"{chart}/{name}: not UTF-8 text"])


@pytest.mark.parametrize("flag", ["--set-file", "-f"])
def test_an_endless_value_source_is_read_only_up_to_the_limit(chart, tmp_path, flag):
    argument = "x=/dev/zero" if flag == "--set-file" else "/dev/zero"
    expected = (f"--set-file 'x=/dev/zero': cannot read file '/dev/zero' for key 'x'" if flag == "--set-file"
                else "cannot read values file '/dev/zero'")
    _refused(tmp_path, str(chart), flag, argument,
             fragments=[expected, f"larger than {MAX_VALUES_BYTES >> 20} MiB, tfhelm's limit for a value source"])


def test_standard_input_is_bounded_too(chart, tmp_path):
    _refused(tmp_path, str(chart), "-f", "-", stdin="x" * (MAX_VALUES_BYTES + 10),
             fragments=["cannot read values file '<stdin>': larger than 32 MiB"])
