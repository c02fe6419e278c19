import pytest

from tfhelm.engine import filters
from tfhelm.errors import RenderError


def test_toyaml_and_tojson():
    assert filters.to_yaml({"b": [1, 2], "a": "x"}) == "b:\n- 1\n- 2\na: x"
    assert filters.to_json({"b": 1, "a": [1, "<x>"]}) == '{"a":[1,"<x>"],"b":1}'


def test_base64_and_sha256_round_trip():
    assert filters.b64dec(filters.b64enc("tf ☃")) == "tf ☃"
    assert filters.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    with pytest.raises(RenderError, match="not base64"):
        filters.b64dec("***")


def test_quote_makes_valid_yaml_strings():
    assert filters.quote('say "hi"\n') == '"say \\"hi\\"\\n"'
    assert filters.quote(True) == '"true"' and filters.quote(None) == '""'
    assert filters.squote("it's") == "'it''s'"


def test_indent_and_nindent_follow_helm():
    assert filters.indent("a\nb\n", 2) == "  a\n  b"
    assert filters.nindent("a\n\nb", 4) == "\n    a\n\n    b"


def test_trunc_and_dns1123():
    assert filters.trunc("abcdef", 3) == "abc" and filters.trunc("abcdef", -2) == "ef"
    assert filters.dns1123("My_Release.Name--") == "my-release-name"
    assert len(filters.dns1123("x" * 100)) == 63


def test_required_rejects_missing_and_empty():
    assert filters.required("v", "msg") == "v"
    for missing in (None, ""):
        with pytest.raises(RenderError, match="msg"):
            filters.required(missing, "msg")
