"""Tests for tfhelm.values.strvals, driven by a differential table recorded from Helm itself.

HELM_CASES was recorded with Helm v4.1.4: each row ran
``helm template x CHART <flag> <expression>`` on a chart whose only template is
``{{ toJson .Values }}`` (``into`` was passed with ``-f``; --set-file read real files holding the
texts in FILES). The suite never runs Helm; it checks tfhelm against those recordings.

A row's expectation is one of:
* a dict            Helm's values; tfhelm must produce exactly the same (types included)
* Rejected(h, t)    Helm failed with message h (its "failed parsing <flag> data: " prefix
                    dropped); tfhelm must raise with message t
* Stricter(v, t)    Helm silently dropped input and produced v; tfhelm raises with message t
* Differs(v, t)     Helm produced v; tfhelm deliberately produces t (see the row's comment)
"""

from __future__ import annotations

import io
import json
from typing import NamedTuple

import pytest

from tfhelm.errors import SetSyntaxError, ValuesError
from tfhelm.values.strvals import mask_values
from tfhelm.values import strvals
from tfhelm.values.strvals import (
    MAX_INDEX,
    parse_set,
    parse_set_file,
    parse_set_json,
    parse_set_literal,
    parse_set_string,
    typed_value,
)

SET, STRING, LITERAL, JSON, FILE = "--set", "--set-string", "--set-literal", "--set-json", "--set-file"

FILES = {"f1": "one\n", "f2": "two, with comma", "empty": "", "with space": "k: v\n"}

DEEP_30 = ".".join(f"k{i}" for i in range(31)) + "=v"  # 30 dots: Helm's maximum
DEEP_31 = ".".join(f"k{i}" for i in range(32)) + "=v"
LIST_DEEP_30 = "a[0]." + ".".join(f"k{i}" for i in range(1, 32)) + "=v"  # "]." is not counted
LIST_DEEP_31 = "a[0]." + ".".join(f"k{i}" for i in range(1, 33)) + "=v"


class Rejected(NamedTuple):
    helm_message: str
    message: str


class Stricter(NamedTuple):
    helm_values: dict
    message: str


class Differs(NamedTuple):
    helm_values: dict
    values: dict


def _nested(count: int, leaf: object, start: int = 0) -> dict:
    value = leaf
    for i in reversed(range(start, start + count)):
        value = {f"k{i}": value}
    return value


def _read_stub(path: str) -> str:
    if path in FILES:
        return FILES[path]
    raise FileNotFoundError(2, "No such file or directory", path)


PARSERS = {
    SET: parse_set,
    STRING: parse_set_string,
    LITERAL: parse_set_literal,
    JSON: parse_set_json,
    FILE: lambda expression, into: parse_set_file(expression, into, read_file=_read_stub),
}


def _exact(values: object) -> str:
    """Type-exact form for comparing: 1, 1.0, True and "1" all differ."""
    return json.dumps(values, sort_keys=True, ensure_ascii=False)


# Notes on surprising Helm behaviour that the table pins down:
# * "-01" and "+007" are integers: only a leading "0" (not a sign) blocks integer typing.
# * "falſe" (long s) is False: Helm compares case-insensitively with Unicode folding.
# * "a={a,b}c=d" sets both a and c: after "}" the next assignment may start without a comma.
# * "a={}" is [""], and a trailing "\" is dropped ("a=x\" is "x").
# * "a[0]=1,a[0].b=2" silently replaces the element, but "a=1,a.b=2" is an error.
# * --set-json "a=" is null, and "a={...}c=2" sets both; a whole "{...}" argument is deep-merged.
# * --set-file "a=" is "" without reading anything, but "a=,b=f" and "a={}" try to read "".
HELM_CASES = [
    # nesting limits
    (SET, LIST_DEEP_30, None, {'a': [_nested(31, 'v', start=1)]}),
    (SET, LIST_DEEP_31, None, Rejected(
        'value name nested level is greater than maximum supported nested level of 30',
        "key " + repr(LIST_DEEP_31.rsplit(".", 1)[0]) + " is nested deeper than 30 levels")),
    # plain assignments and typing
    (SET, 'a=b', None, {'a': 'b'}),
    (SET, 'a=1', None, {'a': 1}),
    (SET, 'a=0', None, {'a': 0}),
    (SET, 'a=-1', None, {'a': -1}),
    (SET, 'a=+1', None, {'a': 1}),
    (SET, 'a=-0', None, {'a': 0}),
    (SET, 'a=+0', None, {'a': 0}),
    (SET, 'a=00', None, {'a': '00'}),
    (SET, 'a=00009', None, {'a': '00009'}),
    (SET, 'a=01', None, {'a': '01'}),
    (SET, 'a=-01', None, {'a': -1}),
    (SET, 'a=+007', None, {'a': 7}),
    (SET, 'a=1e3', None, {'a': '1e3'}),
    (SET, 'a=0x10', None, {'a': '0x10'}),
    (SET, 'a=1.5', None, {'a': '1.5'}),
    (SET, 'a=.5', None, {'a': '.5'}),
    (SET, 'a=1_000', None, {'a': '1_000'}),
    (SET, 'a= 1', None, {'a': ' 1'}),
    (SET, 'a=1 ', None, {'a': '1 '}),
    (SET, 'a=9223372036854775807', None, {'a': 9223372036854775807}),
    (SET, 'a=9223372036854775808', None, {'a': '9223372036854775808'}),
    (SET, 'a=-9223372036854775808', None, {'a': -9223372036854775808}),
    (SET, 'a=-9223372036854775809', None, {'a': '-9223372036854775809'}),
    (SET, 'a=\uff11', None, {'a': '\uff11'}),  # fullwidth digit one: not an integer
    (SET, 'a=true', None, {'a': True}),
    (SET, 'a=TRUE', None, {'a': True}),
    (SET, 'a=True', None, {'a': True}),
    (SET, 'a=false', None, {'a': False}),
    (SET, 'a=FaLsE', None, {'a': False}),
    (SET, 'a=fal\u017fe', None, {'a': False}),  # long s folds to s
    (SET, 'a=yes', None, {'a': 'yes'}),
    (SET, 'a=on', None, {'a': 'on'}),
    (SET, 'a=null', None, {'a': None}),
    (SET, 'a=NULL', None, {'a': None}),
    (SET, 'a=Null', None, {'a': None}),
    (SET, 'a=~', None, {'a': '~'}),
    (SET, 'a=nil', None, {'a': 'nil'}),
    (SET, 'a=', None, {'a': ''}),
    (SET, 'a=,b=1', None, {'a': '', 'b': 1}),
    (SET, 'a=b=c', None, {'a': 'b=c'}),
    (SET, 'a=[1,2]', None, Rejected(
        'key "2]" has no value',
        "key '2]' has no value (missing '='); a ',' inside a value must be written as '\\,'")),
    (SET, 'a=hello world', None, {'a': 'hello world'}),
    (SET, 'a = b', None, {'a ': ' b'}),
    (SET, ' a=b', None, {' a': 'b'}),
    (SET, 'a=line1\nline2', None, {'a': 'line1\nline2'}),
    (SET, '', None, {}),
    (SET, ',', None, Rejected(
        'key "" has no value (cannot end with ,)',
        "empty assignment at character 1 (stray ',')")),
    (SET, 'a=b,', None, {'a': 'b'}),
    # nesting
    (SET, 'a.b=c', None, {'a': {'b': 'c'}}),
    (SET, 'a.b.c=d', None, {'a': {'b': {'c': 'd'}}}),
    (SET, 'a.b=1,a.c=2', None, {'a': {'b': 1, 'c': 2}}),
    (SET, 'a.b=1,a=2', None, {'a': 2}),
    (SET, 'a=1,a=2', None, {'a': 2}),
    (SET, DEEP_30, None, _nested(31, 'v')),
    (SET, DEEP_31, None, Rejected(
        'value name nested level is greater than maximum supported nested level of 30',
        "key " + repr(DEEP_31.rsplit(".", 1)[0]) + " is nested deeper than 30 levels")),
    # escapes
    (SET, 'a\\.b=v', None, {'a.b': 'v'}),
    (SET, 'x=one\\,two', None, {'x': 'one,two'}),
    (SET, 'a=x\\\\y', None, {'a': 'x\\y'}),
    (SET, 'a=x\\', None, {'a': 'x'}),
    (SET, 'a\\=b=c', None, {'a=b': 'c'}),
    (SET, 'a=\\{x}', None, {'a': '{x}'}),
    (SET, 'a\\[0]=x', None, {'a[0]': 'x'}),
    (SET, 'a=\\n', None, {'a': 'n'}),
    # lists
    (SET, 'a[0]=x', None, {'a': ['x']}),
    (SET, 'a[0].b=y', None, {'a': [{'b': 'y'}]}),
    (SET, 'a[1][0]=z', None, {'a': [None, ['z']]}),
    (SET, 'a[0]=1,a[2]=3', None, {'a': [1, None, 3]}),
    (SET, 'a[2]=3,a[0]=1', None, {'a': [1, None, 3]}),
    (SET, 'a[0].b=1,a[0].c=2', None, {'a': [{'b': 1, 'c': 2}]}),
    (SET, 'a[0].b=1,a[1].c=2', None, {'a': [{'b': 1}, {'c': 2}]}),
    (SET, 'a[0][1]=x,a[0][0]=y', None, {'a': [['y', 'x']]}),
    (SET, 'a[0]=1,a[0].b=2', None, {'a': [{'b': 2}]}),
    (SET, 'a[0]=null,a[0][0]=2', None, {'a': [[2]]}),
    (SET, 'a[+1]=x', None, {'a': [None, 'x']}),
    (SET, 'a[01]=x', None, {'a': [None, 'x']}),
    (SET, 'a.b[0].c[1]=d', None, {'a': {'b': [{'c': [None, 'd']}]}}),
    (SET, 'a[0]=', None, {'a': ['']}),
    (SET, 'a[0]={x,y}', None, {'a': [['x', 'y']]}),
    (SET, 'a]=1', None, {'a]': 1}),
    (SET, 'a[0]', None, Stricter({'a': []}, "key 'a[0]' has no value (missing '=')")),
    (SET, 'a[0][0]', None, Stricter({'a': []}, "key 'a[0][0]' has no value (missing '=')")),
    (SET, 'a[0].', None, Stricter({'a': []}, "key 'a[0].' has nothing after the '.'")),
    (SET, 'a[', None, Stricter({}, "index of 'a' opened at character 2 has no closing ']'")),
    (SET, 'a[0', None, Stricter({}, "index of 'a' opened at character 2 has no closing ']'")),
    (SET, 'a[0].=1', None, Stricter({'a': [{}]}, "empty key before '=' at character 6")),
    (SET, 'a[70000]', None, Stricter({'a': []}, "index 70000 of 'a' is greater than the maximum 65536")),
    # {} lists
    (SET, 'a={}', None, {'a': ['']}),
    (SET, 'a={a}', None, {'a': ['a']}),
    (SET, 'a={a,b}', None, {'a': ['a', 'b']}),
    (SET, 'a={1,true,null,x,01}', None, {'a': [1, True, None, 'x', '01']}),
    (SET, 'a={a,b},c=d', None, {'a': ['a', 'b'], 'c': 'd'}),
    (SET, 'a={a,b}c=d', None, {'a': ['a', 'b'], 'c': 'd'}),
    (SET, 'a={a\\,b,c}', None, {'a': ['a,b', 'c']}),
    (SET, 'a= {a}', None, {'a': ' {a}'}),
    (SET, 'a=x{a}', None, {'a': 'x{a}'}),
    (SET, 'a={,}', None, {'a': ['', '']}),
    (SET, 'a={a,}', None, {'a': ['a', '']}),
    (SET, 'a={ a , b }', None, {'a': [' a ', ' b ']}),
    # unicode
    (SET, 'ключ=значение', None, {'ключ': 'значение'}),
    (SET, 'a=日本語', None, {'a': '日本語'}),
    (SET, '😀=🎉', None, {'😀': '🎉'}),
    # Helm silently drops these (or part of them); tfhelm rejects them
    (SET, '=v', None, Stricter({}, "empty key before '=' at character 1")),
    (SET, '.a=1', None, Stricter({}, "empty key before '.' at character 1")),
    (SET, '[0]=1', None, Stricter({}, "empty key before '[' at character 1")),
    (SET, 'a.', None, Stricter({}, "key 'a.' has nothing after the '.'")),
    (SET, 'a.b.', None, Stricter({}, "key 'a.b.' has nothing after the '.'")),
    (SET, 'x=1,a.', None, Stricter({'x': 1}, "key 'a.' has nothing after the '.'")),
    # errors (Helm and tfhelm both reject)
    (SET, 'a.b', None, Rejected(
        'key "b" has no value',
        "key 'a.b' has no value (missing '=')")),
    (SET, 'a', None, Rejected(
        'key "a" has no value',
        "key 'a' has no value (missing '=')")),
    (SET, 'a,b=1', None, Rejected(
        'key "a" has no value (cannot end with ,)',
        "key 'a' has no value (cannot end with ',')")),
    (SET, 'a=1,,b=2', None, Rejected(
        'key "" has no value (cannot end with ,)',
        "empty assignment at character 5 (stray ',')")),
    (SET, ',a=1', None, Rejected(
        'key "" has no value (cannot end with ,)',
        "empty assignment at character 1 (stray ',')")),
    (SET, 'a.=1', None, Rejected(
        'key map "a" has no value',
        "empty key before '=' at character 3")),
    (SET, 'a..b=1', None, Rejected(
        'key map "a" has no value',
        "empty key before '.' at character 3")),
    (SET, 'a[-1]=x', None, Rejected(
        'negative -1 index not allowed',
        "negative index -1 of 'a' is not allowed")),
    (SET, 'a[-1]', None, Rejected(
        'negative -1 index not allowed',
        "negative index -1 of 'a' is not allowed")),
    (SET, 'a[65537]=x', None, Rejected(
        'index of 65537 is greater than maximum supported index of 65536',
        "index 65537 of 'a' is greater than the maximum 65536")),
    (SET, 'a[99999999999999999999]=x', None, Rejected(
        'error parsing index: strconv.Atoi: parsing "99999999999999999999": value out of range',
        "index 99999999999999999999 of 'a' is greater than the maximum 65536")),
    (SET, 'a[x]=1', None, Rejected(
        'error parsing index: strconv.Atoi: parsing "x": invalid syntax',
        "index 'x' of 'a' is not an integer")),
    (SET, 'a[]=1', None, Rejected(
        'error parsing index: strconv.Atoi: parsing "": invalid syntax',
        "index '' of 'a' is not an integer")),
    (SET, 'a[ 1]=1', None, Rejected(
        'error parsing index: strconv.Atoi: parsing " 1": invalid syntax',
        "index ' 1' of 'a' is not an integer")),
    (SET, 'a[0]x=1', None, Rejected(
        "unexpected data at end of array index: ['x']",
        "unexpected 'x' after 'a[0]' at character 5; expected '=', '.' or '['")),
    (SET, 'a[0]]=1', None, Rejected(
        "unexpected data at end of array index: [']']",
        "unexpected ']' after 'a[0]' at character 5; expected '=', '.' or '['")),
    (SET, 'a[0],b=1', None, Rejected(
        "unexpected data at end of array index: [',' 'b']",
        "unexpected ',b' after 'a[0]' at character 5; expected '=', '.' or '['")),
    (SET, 'a={', None, Rejected(
        "list must terminate with '}'",
        "list for 'a' opened at character 3 must end with '}'")),
    (SET, 'a={a,b', None, Rejected(
        "list must terminate with '}'",
        "list for 'a' opened at character 3 must end with '}'")),
    (SET, 'a={{a}}', None, Rejected(
        'key "}" has no value',
        "key '}' has no value (missing '=')")),
    (SET, 'a=1,a.b=2', None, Rejected(
        'unable to parse key: interface conversion: interface {} is int64, not map[string]interface {}',
        "'a' is an integer, so it cannot be used as a map")),
    (SET, 'a=1,a[0]=2', None, Rejected(
        'unable to parse key: interface conversion: interface {} is int64, not []interface {}',
        "'a' is an integer, so it cannot be used as a list")),
    (SET, 'a=null,a.b=1', None, Rejected(
        'unable to parse key: interface conversion: interface {} is nil, not map[string]interface {}',
        "'a' is null, so it cannot be used as a map")),
    (SET, 'a.b=1,a[0]=1', None, Rejected(
        'unable to parse key: interface conversion: interface {} is map[string]interface {}, not []interface {}',
        "'a' is a map, so it cannot be used as a list")),
    (SET, 'a[0]=1,a[0][0]=2', None, Rejected(
        'unable to parse key: interface conversion: interface {} is int64, not []interface {}',
        "'a[0]' is an integer, so it cannot be used as a list")),
    (SET, 'a[0]=1,a.b=2', None, Rejected(
        'unable to parse key: interface conversion: interface {} is []interface {}, not map[string]interface {}',
        "'a' is a list, so it cannot be used as a map")),
    # patching into existing values (from -f)
    (SET, 'a[1]=x', {'a': [1, 2, 3]}, {'a': [1, 'x', 3]}),
    (SET, 'a[3]=x', {'a': [1]}, {'a': [1, None, None, 'x']}),
    (SET, 'a.c=2', {'a': {'b': 1}}, {'a': {'b': 1, 'c': 2}}),
    (SET, 'a[0].b=9', {'a': [{'b': 1, 'c': 2}]}, {'a': [{'b': 9, 'c': 2}]}),
    (SET, 'a[0][1]=x', {'a': [[1, 2]]}, {'a': [[1, 'x']]}),
    (SET, 'a.b=1', {'a': 'str'}, Rejected(
        'unable to parse key: interface conversion: interface {} is string, not map[string]interface {}',
        "'a' is a string, so it cannot be used as a map")),
    (SET, 'a[0]=1', {'a': {'b': 1}}, Rejected(
        'unable to parse key: interface conversion: interface {} is map[string]interface {}, not []interface {}',
        "'a' is a map, so it cannot be used as a list")),
    (SET, 'a=1', {'a': {'b': 1}}, {'a': 1}),
    (SET, 'a[1].c=3', {'a': [{'b': 1}, 's']}, {'a': [{'b': 1}, {'c': 3}]}),
    (SET, 'a.b.c=1', {'a': {'b': None}}, Rejected(
        'unable to parse key: interface conversion: interface {} is nil, not map[string]interface {}',
        "'a.b' is null, so it cannot be used as a map")),
    (SET, 'b=2', {'a': 1}, {'a': 1, 'b': 2}),
    # --set-string
    (STRING, 'a=1', None, {'a': '1'}),
    (STRING, 'a=true', None, {'a': 'true'}),
    (STRING, 'a=null', None, {'a': 'null'}),
    (STRING, 'a=0', None, {'a': '0'}),
    (STRING, 'a={1,2}', None, {'a': ['1', '2']}),
    (STRING, 'a[0]=1', None, {'a': ['1']}),
    (STRING, 'a=', None, {'a': ''}),
    (STRING, 'a\\.b=x\\,y', None, {'a.b': 'x,y'}),
    (STRING, 'a.b', None, Rejected(
        'key "b" has no value',
        "key 'a.b' has no value (missing '=')")),
    (STRING, 'a=1,,b', None, Rejected(
        'key "" has no value (cannot end with ,)',
        "empty assignment at character 5 (stray ',')")),
    # --set-literal
    (LITERAL, 'a=1,b=2', None, {'a': '1,b=2'}),
    (LITERAL, 'a=x\\,y', None, {'a': 'x\\,y'}),
    (LITERAL, 'a\\.b=c', None, {'a\\': {'b': 'c'}}),
    (LITERAL, 'a.b[0]=x', None, {'a': {'b': ['x']}}),
    (LITERAL, 'a=', None, {'a': ''}),
    (LITERAL, 'a={1,2}', None, {'a': '{1,2}'}),
    (LITERAL, 'a=null', None, {'a': 'null'}),
    (LITERAL, 'a=1', None, {'a': '1'}),
    (LITERAL, 'a,b=c', None, {'a,b': 'c'}),
    (LITERAL, '=x', None, Stricter({}, "empty key before '=' at character 1")),
    (LITERAL, 'a=b=c', None, {'a': 'b=c'}),
    (LITERAL, 'a[0]=1,2', None, {'a': ['1,2']}),
    (LITERAL, 'a[1][0]=z', None, {'a': [None, ['z']]}),
    (LITERAL, 'a', None, Rejected(
        'key "a" has no value',
        "key 'a' has no value (missing '=')")),
    (LITERAL, 'a.b', None, Rejected(
        'key "b" has no value',
        "key 'a.b' has no value (missing '=')")),
    (LITERAL, 'a[-1]=x', None, Rejected(
        'negative -1 index not allowed',
        "negative index -1 of 'a' is not allowed")),
    (LITERAL, 'a[x]=1', None, Rejected(
        'error parsing index: strconv.Atoi: parsing "x": invalid syntax',
        "index 'x' of 'a' is not an integer")),
    (LITERAL, 'a[0]x=1', None, Rejected(
        "unexpected data at end of array index: ['x']",
        "unexpected 'x' after 'a[0]' at character 5; expected '=', '.' or '['")),
    (LITERAL, 'a=1,a.b=2', None, {'a': '1,a.b=2'}),
    (LITERAL, 'a=  spaced  ', None, {'a': '  spaced  '}),
    (LITERAL, 'a.b=x', {'a': {'c': 1}}, {'a': {'b': 'x', 'c': 1}}),
    # --set-json
    (JSON, 'a={"b":1}', None, {'a': {'b': 1}}),
    (JSON, 'a=[1,2]', None, {'a': [1, 2]}),
    (JSON, 'a="s"', None, {'a': 's'}),
    (JSON, 'a=1', None, {'a': 1}),
    (JSON, 'a=1.5', None, {'a': 1.5}),
    (JSON, 'a=true', None, {'a': True}),
    (JSON, 'a=null', None, {'a': None}),
    (JSON, 'a=', None, {'a': None}),
    (JSON, 'a=,b=1', None, {'a': None, 'b': 1}),
    (JSON, 'a=  ', None, {'a': None}),
    (JSON, 'a=[1,2],b={"c":3}', None, {'a': [1, 2], 'b': {'c': 3}}),
    (JSON, 'a.b=[1]', None, {'a': {'b': [1]}}),
    (JSON, 'a[1]={"x":1}', None, {'a': [None, {'x': 1}]}),
    (JSON, 'a=x', None, Rejected(
        'failed parsing --set-json data a=x',
        "invalid JSON for 'a' at character 3: Expecting value")),
    (JSON, 'a=1 2', None, Rejected(
        'failed parsing --set-json data a=1 2',
        "key '2' has no value (missing '=')")),
    (JSON, 'a={"b":1}c=2', None, {'a': {'b': 1}, 'c': 2}),
    (JSON, 'a="x,y"', None, {'a': 'x,y'}),
    (JSON, 'a=  "s" ,b=2', None, {'a': 's', 'b': 2}),
    (JSON, 'a="unterminated', None, Rejected(
        'failed parsing --set-json data a="unterminated',
        "invalid JSON for 'a' at character 3: Unterminated string starting at")),
    (JSON, 'a=NaN', None, Rejected(
        'failed parsing --set-json data a=NaN',
        "invalid JSON for 'a' at character 3: NaN is not valid JSON")),
    (JSON, 'a=01', None, Rejected(
        'failed parsing --set-json data a=01',
        "key '1' has no value (missing '=')")),
    # Go decodes every JSON number as float64 and prints 1000; tfhelm keeps JSON's own
    # int/float distinction, as json.loads does, so 1e3 is the float 1000.0
    (JSON, 'a=1e3', None, Differs({'a': 1000}, {'a': 1000.0})),
    (JSON, 'a=-0', None, {'a': 0}),
    (JSON, 'a=1.', None, Rejected(
        'failed parsing --set-json data a=1.',
        "invalid JSON for 'a' at character 3: incomplete number")),
    (JSON, 'a=tru', None, Rejected(
        'failed parsing --set-json data a=tru',
        "invalid JSON for 'a' at character 3: Expecting value")),
    (JSON, 'a={"b":1,"b":2}', None, {'a': {'b': 2}}),
    (JSON, '{"a":{"b":1}}', None, {'a': {'b': 1}}),
    (JSON, ' {"a":1} ', None, {'a': 1}),
    (JSON, '{"a":1} x', None, Rejected(
        'failed parsing --set-json data JSON: {"a":1} x',
        'invalid JSON object: Extra data: line 1 column 9 (char 8)')),
    (JSON, '{"a":{"y":2}}', {'a': {'x': 1}}, {'a': {'x': 1, 'y': 2}}),
    (JSON, 'a[0]=', None, {'a': [None]}),
    (JSON, 'a.b', None, Rejected(
        'failed parsing --set-json data a.b',
        "key 'a.b' has no value (missing '=')")),
    (JSON, 'a="\\u00e9"', None, {'a': 'é'}),
    (JSON, 'a=[]', None, {'a': []}),
    (JSON, 'a={}', None, {'a': {}}),
    (JSON, 'a=123456789012', None, {'a': 123456789012}),
    # --set-file (paths are keys of FILES)
    (FILE, 'a=f1', None, {'a': 'one\n'}),
    (FILE, 'a=f1,b=f2', None, {'a': 'one\n', 'b': 'two, with comma'}),
    (FILE, 'a={f1,f2}', None, {'a': ['one\n', 'two, with comma']}),
    (FILE, 'a=missing', None, Rejected(
        'open missing: no such file or directory',
        "cannot read file 'missing' for key 'a': No such file or directory")),
    (FILE, 'a=', None, {'a': ''}),
    (FILE, 'a[0]=f1', None, {'a': ['one\n']}),
    (FILE, 'a.b=f2', None, {'a': {'b': 'two, with comma'}}),
    (FILE, 'a=empty', None, {'a': ''}),
    (FILE, 'a=with space', None, {'a': 'k: v\n'}),
    (FILE, 'a=,b=f1', None, Rejected(
        'open : no such file or directory',
        "cannot read file '' for key 'a': No such file or directory")),
    (FILE, 'a={}', None, Rejected(
        'open : no such file or directory',
        "cannot read file '' for key 'a': No such file or directory")),
    # more combinations
    (JSON, 'a=1e400', None, Rejected(
        'failed parsing --set-json data a=1e400',
        "invalid JSON for 'a' at character 3: number 1e400 is out of range")),
    (JSON, 'a=[1,{"b":[true,null]}]', None, {'a': [1, {'b': [True, None]}]}),
    (SET, 'a.b[1]=x,a.b[0]=y,a.c=z', None, {'a': {'b': ['y', 'x'], 'c': 'z'}}),
    (STRING, 'a={x,y}c=1', None, {'a': ['x', 'y'], 'c': '1'}),
    (SET, 'a[0].b=1', {'a': [None]}, {'a': [{'b': 1}]}),
    (LITERAL, 'a[0].b=1,2', None, {'a': [{'b': '1,2'}]}),
    (JSON, 'a={"x":1},a.y=2', None, {'a': {'x': 1, 'y': 2}}),
    (SET, 'a.b=1', {'a': {}}, {'a': {'b': 1}}),
    (SET, 'a[0]=x', {'a': []}, {'a': ['x']}),
    (SET, 'a[1]=x', {'a': [1, 2, 3]}, {'a': [1, 'x', 3]}),
    (JSON, 'a.b=2', {'a': {'c': 1}}, {'a': {'b': 2, 'c': 1}}),
    (JSON, '{"a":[1]}', {'a': [0, 2], 'b': 1}, {'a': [1], 'b': 1}),
    (SET, 'a=1,b.c=2,d[0]=3', None, {'a': 1, 'b': {'c': 2}, 'd': [3]}),
    (SET, 'a=\\', None, {'a': ''}),
    (SET, 'a=x\\,y=1', None, {'a': 'x,y=1'}),
    (JSON, '=1', None, Stricter({}, "empty key before '=' at character 1")),
    (SET, 'a={a}{b}', None, Rejected(
        'key "{b}" has no value',
        "key '{b}' has no value (missing '=')")),
    (FILE, 'a[1]={f1}', None, {'a': [None, ['one\n']]}),
]


def _case_id(case: tuple) -> str:
    flag, expression, into, _ = case
    return f"{flag} {expression!r}" + (" into" if into is not None else "")


def _shown(error: Exception, flag: str, expression: str) -> str:
    """How the message shows the expression: values masked, since a value may be a secret."""
    if not isinstance(error, SetSyntaxError):
        return expression
    if flag == JSON and expression.strip().startswith("{"):
        return "{…}"
    return mask_values(expression)


@pytest.mark.parametrize("case", HELM_CASES, ids=[_case_id(c) for c in HELM_CASES])
def test_matches_recorded_helm_behaviour(case: tuple) -> None:
    flag, expression, into, expected = case
    parse = PARSERS[flag]
    into_copy = json.loads(json.dumps(into)) if into is not None else None
    if isinstance(expected, (Rejected, Stricter)):
        error_class = ValuesError if flag == FILE else SetSyntaxError
        with pytest.raises(error_class) as raised:
            parse(expression, into_copy)
        assert str(raised.value) == f"{flag} {_shown(raised.value, flag, expression)!r}: {expected.message}"
        if isinstance(raised.value, SetSyntaxError):
            assert (raised.value.flag, raised.value.expression) == (flag, expression)
        return
    wanted = expected.values if isinstance(expected, Differs) else expected
    assert _exact(parse(expression, into_copy)) == _exact(wanted)


def test_table_is_large_and_mostly_identical_to_helm() -> None:
    kinds = [type(expected).__name__ for *_, expected in HELM_CASES]
    assert len(HELM_CASES) >= 200
    assert kinds.count("dict") + kinds.count("Rejected") > 0.9 * len(HELM_CASES)


# -- behaviour outside the table ------------------------------------------------------------


def test_merges_into_the_given_dict_and_returns_it() -> None:
    values = {"keep": 1, "a": {"b": 1}}
    result = parse_set("a.c=2", values)
    assert result is values
    assert values == {"keep": 1, "a": {"b": 1, "c": 2}}


def test_new_dict_each_call_without_into() -> None:
    first = parse_set("a=1")
    second = parse_set("b=2")
    assert first == {"a": 1} and second == {"b": 2}


def test_successive_flags_build_on_each_other() -> None:
    values = parse_set("list[0]=a,list[1]=b")
    parse_set_string("list[1]=2", values)
    parse_set_json('extra={"x":[1]}', values)
    assert values == {"list": ["a", "2"], "extra": {"x": [1]}}


def test_max_index_is_allowed_and_one_more_is_not() -> None:
    # Helm: a[65536]=x gives 65536 nulls then "x"; a[65537]=x fails
    values = parse_set(f"a[{MAX_INDEX}]=x")["a"]
    assert len(values) == MAX_INDEX + 1 and values[-1] == "x" and values[0] is None
    with pytest.raises(SetSyntaxError, match="greater than the maximum 65536"):
        parse_set(f"a[{MAX_INDEX + 1}]=x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True), ("tRuE", True), ("FALSE", False), ("NuLl", None), ("0", 0), ("-0", 0),
        ("42", 42), ("-42", -42), ("+42", 42), ("-042", -42), ("042", "042"), ("", ""),
        ("1.0", "1.0"), ("1e3", "1e3"), ("0x1f", "0x1f"), ("0o7", "0o7"), ("1_0", "1_0"),
        ("\u0661", "\u0661"), (" 1", " 1"), ("truee", "truee"), ("nul", "nul"),
        ("9223372036854775807", 9223372036854775807), ("9223372036854775808", "9223372036854775808"),
    ],
)
def test_typed_value(text: str, expected: object) -> None:
    assert _exact(typed_value(text)) == _exact(expected)


def test_set_syntax_error_is_a_values_error_naming_flag_and_expression() -> None:
    with pytest.raises(ValuesError) as raised:
        parse_set_literal("a.b")
    error = raised.value
    assert isinstance(error, SetSyntaxError)
    assert (error.flag, error.expression) == ("--set-literal", "a.b")
    assert str(error).startswith("--set-literal 'a.b': ")


def test_set_file_reads_real_files_byte_for_byte(tmp_path, monkeypatch) -> None:
    (tmp_path / "crlf.txt").write_bytes(b"line1\r\nline2\r\n")
    (tmp_path / "utf8.txt").write_bytes("h\u00e9\u00e9".encode())
    monkeypatch.chdir(tmp_path)
    values = parse_set_file("a=crlf.txt,b=utf8.txt")
    assert values == {"a": "line1\r\nline2\r\n", "b": "h\u00e9\u00e9"}


def test_set_file_missing_file_names_flag_key_and_path(tmp_path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(ValuesError) as raised:
        parse_set_file(f"config.data={missing}")
    message = str(raised.value)
    assert message.startswith(f"--set-file 'config.data={missing}': ")
    assert f"cannot read file '{missing}' for key 'config.data'" in message


def test_set_file_dash_reads_stdin(monkeypatch) -> None:
    monkeypatch.setattr(strvals.sys, "stdin", io.StringIO("from stdin"))
    assert parse_set_file("a=-") == {"a": "from stdin"}


def test_set_json_whole_object_deep_merges_without_sharing_structure() -> None:
    values = {"a": {"x": 1, "keep": True}, "list": [1, 2]}
    parse_set_json(' {"a": {"x": 2, "y": {"z": null}}, "list": [3]} ', values)
    assert values == {"a": {"x": 2, "keep": True, "y": {"z": None}}, "list": [3]}


@pytest.mark.parametrize(
    "expression",
    ["a=Infinity", "a=-Infinity", "a=1e999", "a=1e", "a=-", '{"a":NaN}', "{not json}"],
)
def test_set_json_rejects_what_go_json_rejects(expression: str) -> None:
    with pytest.raises(SetSyntaxError, match="invalid JSON"):
        parse_set_json(expression)


def test_error_points_at_the_offending_character() -> None:
    with pytest.raises(SetSyntaxError, match="character 13"):
        parse_set("ok=1,list[0]oops=2")


def test_missing_value_after_comma_suggests_escaping() -> None:
    with pytest.raises(SetSyntaxError, match=r"must be written as '\\,'"):
        parse_set("names=a,b")


def test_error_messages_never_show_values_which_may_be_secrets() -> None:
    with pytest.raises(SetSyntaxError) as raised:
        parse_set("jupyter.password=S3cretPassw0rd,,jobs.worker.tasks=2")
    assert "S3cretPassw0rd" not in str(raised.value)
    assert str(raised.value).startswith("--set 'jupyter.password=…,,jobs.worker.tasks=…': empty assignment at character 33")
    with pytest.raises(SetSyntaxError) as raised:
        parse_set_json('{"password": "S3cret", oops}')
    assert "S3cret" not in str(raised.value)


@pytest.mark.parametrize(
    ("expression", "shown"),
    [
        ("a.b=secret,list={x,y},c", "a.b=…,list=…,c"),
        ("a\\.b=x\\,y,z=1", "a\\.b=…,z=…"),
        ('j={"a":"x,y"},k=2', "j=…,k=…"),
        ("a[0].b=1", "a[0].b=…"),
        ("a", "a"),
        ('q="unterminated,still masked', 'q=…'),
    ],
)
def test_mask_values_keeps_keys_and_hides_values(expression: str, shown: str) -> None:
    assert mask_values(expression) == shown
