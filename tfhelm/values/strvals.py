"""Parsing of ``--set``-style flag arguments into nested values, compatible with Helm's strvals.

One flag argument holds comma-separated assignments such as ``a.b=c,list[0].x=1``. Each
``parse_set*`` function parses one argument and merges it into a values dict:

* ``--set``          values are typed (``true``/``false``/``null``/integers), ``{a,b}`` makes a list
* ``--set-string``   like ``--set`` but every value stays a string
* ``--set-literal``  one assignment; the value is the rest of the argument, verbatim
* ``--set-json``     each value is JSON; ``{...}`` alone is a JSON object deep-merged into the values
* ``--set-file``     each value is a path; the file's text becomes the value

Helm's grammar is reproduced exactly wherever Helm sets a value or reports an error (see the
differential table in tests/values/test_strvals.py). Where Helm silently drops part of the input
(an empty key such as ``=v``, a dangling ``a.`` or ``a[0]``, an unterminated ``a[0``) tfhelm
reports an error instead, because such input is always a typo.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable

from tfhelm.errors import SetSyntaxError, ValuesError

__all__ = [
    "MAX_INDEX",
    "MAX_NESTED_NAME_LEVEL",
    "parse_set",
    "parse_set_file",
    "parse_set_json",
    "parse_set_literal",
    "parse_set_string",
    "typed_value",
]

MAX_INDEX = 65536  # Helm refuses larger list indexes so a typo cannot allocate gigabytes
MAX_NESTED_NAME_LEVEL = 30  # Helm's limit on dots in one key path

_INT = re.compile(r"[+-]?[0-9]+")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

Converter = Callable[[str, str], object]  # (raw value text, key path) -> value


def parse_set(expression: str, into: dict | None = None) -> dict:
    """Parse a ``--set`` argument with typed values and merge it into ``into``."""
    return _Parser(expression, "--set", _typed).parse(into)


def parse_set_string(expression: str, into: dict | None = None) -> dict:
    """Parse a ``--set-string`` argument; every value stays a string."""
    return _Parser(expression, "--set-string", _verbatim).parse(into)


def parse_set_literal(expression: str, into: dict | None = None) -> dict:
    """Parse a ``--set-literal`` argument: ``key=value`` with the value taken verbatim."""
    return _Parser(expression, "--set-literal", _verbatim, literal=True).parse(into)


def parse_set_json(expression: str, into: dict | None = None) -> dict:
    """Parse a ``--set-json`` argument: ``key=<json>,...`` or one JSON object to deep-merge."""
    text = expression.strip()
    if not text.startswith("{"):
        return _Parser(expression, "--set-json", _verbatim, json_values=True).parse(into)
    try:
        document = _JSON.decode(text)
    except (ValueError, RecursionError) as err:
        raise SetSyntaxError(
            f"invalid JSON object: {err}", flag="--set-json", expression=expression, shown="{…}"
        ) from err
    return _deep_merge({} if into is None else into, document)


def parse_set_file(expression: str, into: dict | None = None, read_file=None) -> dict:
    """Parse a ``--set-file`` argument: ``key=path,...``; each value is the file's text.

    ``read_file(path) -> str`` replaces the default reader (tests); an ``OSError`` it raises
    becomes a :class:`ValuesError` naming the flag, the key and the path.
    """
    reader = read_file or _read_file

    def load(path: str, key: str) -> str:
        try:
            return reader(path)
        except OSError as err:
            reason = err.strerror or str(err)
            raise ValuesError(
                f"--set-file {expression!r}: cannot read file {path!r} for key {key!r}: {reason}"
            ) from err

    return _Parser(expression, "--set-file", load).parse(into)


def typed_value(text: str) -> object:
    """Type a ``--set`` value the way Helm does.

    ``true``/``false``/``null`` in any letter case become bool/None; ``0`` and base-10 integers
    that fit in 64 bits and do not start with ``0`` become int (so ``-01`` and ``+7`` are ints,
    ``007`` is not); everything else (``1.5``, ``1e3``, ``0x10``, ``yes``) stays a string.
    """
    if len(text) in (4, 5):
        folded = text.casefold()  # Go's EqualFold: "TRUE", "falſe" (long s) count too  # noqa: RUF003
        if folded in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[folded]
    if text == "0":
        return 0
    if text[:1] not in ("", "0") and len(text) <= 20 and _INT.fullmatch(text):
        number = int(text)
        if _INT64_MIN <= number <= _INT64_MAX:
            return number
    return text


def _typed(raw: str, key: str) -> object:
    return typed_value(raw)


def _verbatim(raw: str, key: str) -> object:
    return raw


def _read_file(path: str) -> str:
    from tfhelm.values.limits import read_limited

    if path.strip() == "-":  # Helm reads stdin for "-"
        return read_limited(sys.stdin)
    with open(path, "rb") as handle:
        return read_limited(handle).decode("utf-8", "replace")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number {text} is out of range")
    return number


_JSON = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def _deep_merge(base: dict, overrides: dict) -> dict:
    """Merge like Helm's MergeMaps: maps merge key by key, anything else replaces."""
    for key, value in overrides.items():
        current = base.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _deep_merge(current, value)
        else:
            base[key] = value
    return base


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    kinds = {dict: "a map", list: "a list", str: "a string", int: "an integer", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def _is_space(char: str) -> bool:
    # Go's unicode.IsSpace; Python's isspace also accepts the ASCII separators 0x1c-0x1f
    return char.isspace() and not "\x1c" <= char <= "\x1f"


class _Parser:
    """Recursive-descent parser over one flag argument; ``pos`` is the next character to read."""

    def __init__(
        self,
        expression: str,
        flag: str,
        convert: Converter,
        *,
        literal: bool = False,
        json_values: bool = False,
    ) -> None:
        self.text = expression
        self.pos = 0
        self.flag = flag
        self.convert = convert
        self.literal = literal
        self.json_values = json_values
        self.key_stops = "=[." if literal else "=[,."

    def parse(self, into: dict | None) -> dict:
        data = {} if into is None else into
        while self.pos < len(self.text):
            self._key(data, "", 0)
        return data

    # -- grammar ---------------------------------------------------------------------------

    def _key(self, data: dict, parent: str, level: int) -> None:
        """``name`` followed by ``=value``, ``.key`` or ``[index]...``."""
        start = self.pos
        name, stop = self._until(self.key_stops)
        path = f"{parent}.{name}" if parent else name
        if stop is None:
            if name:
                raise self._error(f"key {path!r} has no value (missing '='){self._comma_hint(start)}")
            raise self._error(f"key {parent + '.'!r} has nothing after the '.'")
        if not name:
            raise self._empty_key(stop)
        if stop == ",":
            raise self._error(f"key {path!r} has no value (cannot end with ',')")
        if stop == "=":
            data[name] = self._value(path)
        elif stop == ".":
            if level + 1 > MAX_NESTED_NAME_LEVEL:
                raise self._error(f"key {path!r} is nested deeper than {MAX_NESTED_NAME_LEVEL} levels")
            inner = self._existing(data, name, dict, path, "a map")
            self._key(inner, path, level + 1)
            data[name] = inner
        else:
            index = self._index(path)
            items = self._existing(data, name, list, path, "a list")
            data[name] = self._list_item(items, index, f"{path}[{index}]", level)

    def _list_item(self, items: list, index: int, path: str, level: int) -> list:
        """What follows ``[index]``: ``=value``, ``.key`` or another ``[index]``."""
        start = self.pos
        extra, stop = self._until("[.=")
        if extra:
            raise self._error(f"unexpected {extra!r} after {path!r} at character {start + 1}; expected '=', '.' or '['")
        if stop is None:
            raise self._error(f"key {path!r} has no value (missing '=')")
        current = items[index] if index < len(items) else None
        if stop == "=":
            value = self._value(path)
        elif stop == ".":
            # Helm silently replaces a non-map element here (unlike a non-map under a key)
            value = current if isinstance(current, dict) else {}
            self._key(value, path, level)
        else:
            inner_index = self._index(path)
            if current is not None and not isinstance(current, list):
                raise self._conflict(path, current, "a list")
            value = self._list_item(current or [], inner_index, f"{path}[{inner_index}]", level)
        items.extend([None] * (index + 1 - len(items)))
        items[index] = value
        return items

    def _index(self, path: str) -> int:
        start = self.pos
        text, stop = self._until("]")
        if stop is None:
            raise self._error(f"index of {path!r} opened at character {start} has no closing ']'")
        if not _INT.fullmatch(text):
            raise self._error(f"index {text!r} of {path!r} is not an integer")
        index = int(text)
        if index < 0:
            raise self._error(f"negative index {index} of {path!r} is not allowed")
        if index > MAX_INDEX:
            raise self._error(f"index {index} of {path!r} is greater than the maximum {MAX_INDEX}")
        return index

    def _value(self, path: str) -> object:
        """The value after ``=``: up to the next unescaped comma (or per the flag's rules)."""
        if self.literal:
            value, self.pos = self.text[self.pos :], len(self.text)
            return value
        if self.json_values:
            return self._json_value(path)
        if self.pos == len(self.text):
            return ""  # "k=" at the end: Helm sets "" without converting (or reading a file)
        if self.text[self.pos] == "{":
            return self._brace_list(path)
        raw, _ = self._until(",")
        return self.convert(raw, path)

    def _brace_list(self, path: str) -> list:
        """``{a,b}``; Helm lets the next assignment start right after ``}`` even without a comma."""
        start = self.pos
        self.pos += 1
        items = []
        while True:
            raw, stop = self._until(",}")
            if stop is None:
                raise self._error(f"list for {path!r} opened at character {start + 1} must end with '}}'")
            items.append(self.convert(raw, path))
            if stop == "}":
                if self.text[self.pos : self.pos + 1] == ",":
                    self.pos += 1
                return items

    def _json_value(self, path: str) -> object:
        if self._skip_blank_value():
            return None  # "k=" or "k= ," means null for --set-json
        start = self.pos
        try:
            value, end = _JSON.raw_decode(self.text, start)
        except (ValueError, RecursionError) as err:
            where = getattr(err, "pos", start) + 1
            message = getattr(err, "msg", None) or str(err) or "nested too deeply"
            raise self._error(f"invalid JSON for {path!r} at character {where}: {message}") from err
        self._reject_truncated_number(start, path)
        self.pos = end
        self._skip_blank_value()
        return value

    def _reject_truncated_number(self, start: int, path: str) -> None:
        # Go's decoder rejects "1." and "1e" where Python's stops before the dangling part
        match = _JSON_NUMBER.match(self.text, start)
        if not match:
            return
        after = self.text[match.end() : match.end() + 1]
        fraction, exponent = match.group(1), match.group(2)
        if (after == "." and not fraction and not exponent) or (after in ("e", "E") and not exponent):
            raise self._error(f"invalid JSON for {path!r} at character {start + 1}: incomplete number")

    # -- scanning --------------------------------------------------------------------------

    def _until(self, stops: str) -> tuple[str, str | None]:
        """Read up to an unescaped stop character (consumed); stop is None at the end."""
        text, pos = self.text, self.pos
        out: list[str] = []
        while pos < len(text):
            char = text[pos]
            pos += 1
            if char in stops:
                self.pos = pos
                return "".join(out), char
            if char == "\\" and not self.literal:
                if pos == len(text):
                    break  # Helm drops a trailing backslash
                char = text[pos]
                pos += 1
            out.append(char)
        self.pos = len(text)
        return "".join(out), None

    def _skip_blank_value(self) -> bool:
        """Skip blanks; True (and consume it) if a comma or the end follows."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == ",":
                self.pos += 1
                return True
            if not _is_space(char):
                return False
            self.pos += 1
        return True

    # -- errors ----------------------------------------------------------------------------

    def _existing(self, data: dict, name: str, kind: type, path: str, wanted: str):
        if name not in data:
            return kind()
        current = data[name]
        if not isinstance(current, kind):
            raise self._conflict(path, current, wanted)
        return current

    def _comma_hint(self, start: int) -> str:
        if start > 0 and self.text[start - 1] == ",":
            return "; a ',' inside a value must be written as '\\,'"
        return ""

    def _conflict(self, path: str, current: object, wanted: str) -> SetSyntaxError:
        return self._error(f"{path!r} is {_describe(current)}, so it cannot be used as {wanted}")

    def _empty_key(self, stop: str) -> SetSyntaxError:
        if stop == ",":
            return self._error(f"empty assignment at character {self.pos} (stray ',')")
        return self._error(f"empty key before {stop!r} at character {self.pos}")

    def _error(self, message: str) -> SetSyntaxError:
        return SetSyntaxError(message, flag=self.flag, expression=self.text, shown=mask_values(self.text))


def mask_values(expression: str) -> str:
    """The expression with every value replaced by ``…`` and the keys kept, for error messages.

    Values may be secrets (``--set jupyter.password=…``). A value runs from ``=`` to the next
    unescaped ``,`` outside brackets and quotes; when in doubt more is masked, never less.

    >>> mask_values("a.b=secret,list={x,y},c")
    'a.b=…,list=…,c'
    """
    shown: list[str] = []
    in_value, depth, quote, index = False, 0, "", 0
    while index < len(expression):
        char = expression[index]
        if char == "\\":
            if not in_value:
                shown.append(expression[index : index + 2])
            index += 2
            continue
        if not in_value:
            shown.append(char + ("…" if char == "=" else ""))
            in_value = char == "="
        elif quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            shown.append(",")
            in_value = False
        index += 1
    return "".join(shown)
