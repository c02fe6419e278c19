"""The filters and global functions templates can use, with Helm's names and meaning.

``indent`` and ``nindent`` follow Helm (every line is indented; ``nindent`` starts with a newline)
rather than Jinja's own ``indent``, so snippets like ``{{ labels | nindent(4) }}`` read the same
as in Helm charts. ``tojson`` is compact with sorted keys and does no HTML escaping.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from jinja2 import Undefined

from tfhelm.engine.tpl import tpl
from tfhelm.errors import TemplateFailure

__all__ = ["FILTERS", "GLOBALS"]


def to_yaml(value: Any) -> str:
    from tfhelm.yamlio import dump_yaml

    if value is None:
        return "null"
    return dump_yaml(value).rstrip("\n")


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def to_pretty_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)


def b64enc(value: Any) -> str:
    return base64.b64encode(_bytes(value)).decode("ascii")


def b64dec(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise TemplateFailure(f"b64dec: {str(value)[:40]!r} is not base64 of UTF-8 text") from None


def sha256(value: Any) -> str:
    return hashlib.sha256(_bytes(value)).hexdigest()


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def quote(value: Any) -> str:
    """A double-quoted YAML/JSON string; ``None`` becomes ``""`` as in Helm."""
    return json.dumps("" if value is None else _scalar_text(value), ensure_ascii=False)


def squote(value: Any) -> str:
    text = "" if value is None else _scalar_text(value)
    return "'" + text.replace("'", "''") + "'"


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def indent(text: Any, width: int = 4) -> str:
    """Indent every non-empty line (the first too), as Helm's ``indent``.

    Trailing newlines are dropped, so a macro's last line break leaves no blank line in YAML.
    """
    pad = " " * width
    return "\n".join(pad + line if line else line for line in str(text).rstrip("\n").split("\n"))


def nindent(text: Any, width: int = 4) -> str:
    return "\n" + indent(text, width)


def required(value: Any, message: str = "a required value is missing") -> Any:
    if isinstance(value, Undefined) or value is None or value == "":
        raise TemplateFailure(message)
    return value


def fail(message: str) -> None:
    raise TemplateFailure(message)


def trunc(value: Any, length: int) -> str:
    text = str(value)
    return text[:length] if length >= 0 else text[length:]


def dns1123(value: Any, length: int = 63) -> str:
    """Lower-case, characters outside ``[a-z0-9-]`` become ``-``, at most 63, no edge dashes."""
    text = re.sub(r"[^a-z0-9-]+", "-", str(value).lower())
    return text[:length].strip("-")


FILTERS = {
    "toyaml": to_yaml,
    "toYaml": to_yaml,
    "tojson": to_json,
    "toJson": to_json,
    "toprettyjson": to_pretty_json,
    "b64enc": b64enc,
    "b64dec": b64dec,
    "sha256": sha256,
    "sha256sum": sha256,
    "quote": quote,
    "squote": squote,
    "indent": indent,
    "nindent": nindent,
    "required": required,
    "trunc": trunc,
    "dns1123": dns1123,
    "tpl": tpl,
}

GLOBALS: dict[str, Callable[..., Any]] = {
    "fail": fail,
    "required": lambda message, value=None: required(value, message),
    "tpl": tpl,
}
