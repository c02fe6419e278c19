"""``tpl``: render a string, usually a value, as a template with the calling template's context.

Helm's ``{{ tpl .Values.extraAnnotation . }}`` is ``{{ Values.extraAnnotation | tpl }}`` (or
``{{ tpl(Values.extraAnnotation) }}``) here: templates see their context as globals, so there is
no context argument to pass. Variables local to the caller (a loop variable, say) are passed by
name, ``{{ Values.host | tpl(job=job) }}``, or as one mapping, ``tpl(Values.host, {"job": job})``.

The text is compiled by the calling template's own environment, so it runs in the same sandbox,
sees the same ``Values``, ``Release``, … and imported macros, can ``{% import %}`` the chart's
``_*`` files, and spends from the same render budget. A ``tpl`` inside tpl'd text nests at most
:data:`MAX_TPL_DEPTH` levels (a value that renders itself stops there), and one result holds at
most :data:`~tfhelm.engine.budget.MAX_SIZE` characters. An error names the value path (when the
text is a value), the line within the text, and, through the renderer, the calling template's
file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import pass_context
from jinja2.runtime import Context

from tfhelm.engine.budget import MAX_SIZE
from tfhelm.errors import BudgetExceeded, TemplateFailure

__all__ = ["MAX_TPL_DEPTH", "tpl"]

MAX_TPL_DEPTH = 32  # tpl within tpl'd text; Helm has no limit of its own but Go's stack
_TEXT_FILENAME = "<template>"  # what Jinja names a template compiled from a string


class _TplState:
    """Per environment (one chart of one render): compiled texts and how deep ``tpl`` nests now."""

    def __init__(self) -> None:
        self.compiled: dict[str, jinja2.Template] = {}
        self.depth = 0


@pass_context
def tpl(context: Context, text: Any, variables: Mapping[str, Any] | None = None, **extra: Any) -> str:
    """``text`` rendered as a template with the caller's context (plus ``variables`` and ``extra``)."""
    if text is None:
        return ""
    if isinstance(text, jinja2.Undefined):
        str(text)  # a strict undefined raises, naming the missing value
    if not isinstance(text, str):
        raise TemplateFailure(f"tpl expects a string to render, not {type(text).__name__}")
    if variables is not None and not isinstance(variables, Mapping):
        raise TemplateFailure(f"tpl's variables must be a mapping, not {type(variables).__name__}")
    state = _state(context.environment)
    if state.depth >= MAX_TPL_DEPTH:
        raise TemplateFailure(
            f"tpl nests more than {MAX_TPL_DEPTH} levels deep (does {_describe(context, text)} render itself?)"
        )
    state.depth += 1
    try:
        template = _compile(context, state, text)
        chunks = template.generate({**context.get_all(), **(variables or {}), **extra})
        return _bounded_join(chunks)
    except jinja2.UndefinedError as error:
        raise _failure(context, text, error.message or str(error), _text_line(error.__traceback__)) from None
    except jinja2.sandbox.SecurityError as error:
        message = f"not allowed in templates: {error}"
        raise _failure(context, text, message, _text_line(error.__traceback__)) from None
    finally:
        state.depth -= 1


def _state(environment: jinja2.Environment) -> _TplState:
    state = getattr(environment, "tfhelm_tpl", None)
    if state is None:
        state = _TplState()
        environment.tfhelm_tpl = state  # type: ignore[attr-defined]  # the environment carries it for the render
    return state


def _compile(context: Context, state: _TplState, text: str) -> jinja2.Template:
    template = state.compiled.get(text)
    if template is None:
        try:
            template = context.environment.from_string(text)
        except jinja2.TemplateSyntaxError as error:
            raise _failure(context, text, f"template syntax error: {error.message}", error.lineno) from None
        state.compiled[text] = template
    return template


def _bounded_join(chunks: Any) -> str:
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_SIZE:
            raise BudgetExceeded(f"the text tpl renders exceeds the render budget ({MAX_SIZE:,} characters)")
        parts.append(chunk)
    return "".join(parts)


def _failure(context: Context, text: str, message: str | None, line: int | None) -> TemplateFailure:
    where = f", line {line} of its text" if line else ""
    return TemplateFailure(f"tpl of {_describe(context, text)}{where}: {message}")


def _describe(context: Context, text: str) -> str:
    """The value path holding ``text`` (``Values.extraAnnotation``), else the text itself, shortened."""
    path = _value_path(context.get("Values"), text)
    if path is not None:
        return path
    shown = text if len(text) <= 60 else text[:57] + "..."
    return repr(shown)


def _value_path(values: Any, text: str) -> str | None:
    stack: list[tuple[Any, str]] = [(values, "Values")]
    while stack:
        node, path = stack.pop()
        if node is text or (isinstance(node, str) and node == text):
            return path
        if isinstance(node, Mapping):
            stack.extend((item, f"{path}.{key}") for key, item in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{index}]") for index, item in reversed(list(enumerate(node))))
    return None


def _text_line(traceback: TracebackType | None) -> int | None:
    """The line, within the tpl'd text, of the innermost frame Jinja rewrote to point into it."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == _TEXT_FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line
