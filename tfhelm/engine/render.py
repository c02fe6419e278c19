"""Rendering a chart's Jinja2 templates into text, with errors that point at file and line.

Templates run in a :class:`~jinja2.sandbox.SandboxedEnvironment` with a strict undefined: a
misspelt value is an error naming the value path (``Values.jobs.worker.taks is undefined (did
you mean 'tasks'?)``), never an empty string. ``trim_blocks`` and ``lstrip_blocks`` are on, so
``{% if %}`` lines leave no blank lines or stray indentation in YAML. Every render spends from one
:class:`~tfhelm.engine.budget.RenderBudget` (sizes, loop iterations, CPU time, output).
"""

from __future__ import annotations

import difflib
import posixpath
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import SandboxedEnvironment

from tfhelm.chart.model import Chart
from tfhelm.engine.budget import INTERCEPTED_BINOPS, BudgetExceeded, RenderBudget, bounded_width, count_loops
from tfhelm.engine.bytecode import template_cache
from tfhelm.engine.filters import FILTERS, GLOBALS
from tfhelm.engine.passwords import Argon2Filter
from tfhelm.errors import RenderError, TemplateFailure

__all__ = ["RenderedTemplate", "ValuesMap", "is_emitted", "render_templates"]

TEMPLATES_DIR = "templates/"


@dataclass(frozen=True)
class RenderedTemplate:
    """The text one template produced; ``name`` is chart-relative (``templates/x.yaml``)."""

    chart: str
    name: str
    text: str

    @property
    def source(self) -> str:
        """The ``# Source:`` form: ``<chart>/templates/x.yaml``."""
        return f"{self.chart}/{self.name}"


class ValuesMap(dict):
    """A values mapping that knows its own path, so undefined lookups can name it."""

    __slots__ = ("path",)

    def __init__(self, items: dict[str, Any], path: str):
        super().__init__(items)
        self.path = path


def _with_paths(value: Any, path: str) -> Any:
    if isinstance(value, dict):
        return ValuesMap({key: _with_paths(item, f"{path}.{key}") for key, item in value.items()}, path)
    if isinstance(value, list):
        return [_with_paths(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


class _StrictUndefined(jinja2.StrictUndefined):
    """Undefined values fail loudly, naming the value path and a close match when there is one."""

    @property
    def _undefined_message(self) -> str:
        owner, name = self._undefined_obj, self._undefined_name
        if isinstance(owner, ValuesMap) and isinstance(name, str):
            close = difflib.get_close_matches(name, [str(key) for key in owner], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return f"{owner.path}.{name} is undefined{hint}"
        return super()._undefined_message


class _ChartLoader(jinja2.BaseLoader):
    """Serves a chart's templates by their path under ``templates/``."""

    def __init__(self, chart: Chart):
        self.chart = chart

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        key = TEMPLATES_DIR + posixpath.normpath(template)
        if key not in self.chart.templates:
            raise jinja2.TemplateNotFound(template)
        return self.chart.templates[key], f"{self.chart.name}/{key}", lambda: True


class _BudgetedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to a call that checks the result's size before building it."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.budget.concat((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class _BudgetedEnvironment(SandboxedEnvironment):
    """The sandbox, with costly operators, calls and loops charged to a :class:`RenderBudget`.

    Intercepted operators are also never folded at compile time, so ``{% if false %}{{ 10**(10**9) }}``
    costs nothing.
    """

    intercepted_binops = INTERCEPTED_BINOPS
    code_generator_class = _BudgetedCodeGenerator

    def __init__(self, budget: RenderBudget, **options: Any) -> None:
        super().__init__(**options)
        self.budget = budget

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return count_loops(super()._parse(source, name, filename))

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        return self.budget.binop(operator, left, right)

    # Jinja's own signature: the dunder names keep every keyword free for the callee
    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self.budget.check_call(__obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def budget_loop(self, iterable: Any) -> Any:
        return self.budget.iterate(iterable)


def _environment(chart: Chart, budget: RenderBudget) -> SandboxedEnvironment:
    environment = _BudgetedEnvironment(
        budget,
        loader=_ChartLoader(chart),
        undefined=_StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        bytecode_cache=template_cache(),
    )
    environment.filters.update(FILTERS)
    environment.filters["argon2"] = Argon2Filter()  # one per render: remembers the hashes it made
    for name in ("indent", "nindent", "center", "wordwrap", "truncate"):
        environment.filters[name] = bounded_width(environment.filters[name])
    environment.globals.update(GLOBALS)
    return environment


def is_emitted(name: str) -> bool:
    """Whether a template file produces output (``_*`` and ``.*`` files only hold macros)."""
    base = posixpath.basename(name)
    return name.startswith(TEMPLATES_DIR) and not base.startswith(("_", "."))


def render_templates(
    chart: Chart,
    context: dict[str, Any],
    only: set[str] | None = None,
    root: str | None = None,
    budget: RenderBudget | None = None,
) -> list[RenderedTemplate]:
    """Render every emitted template of ``chart`` (or those named in ``only``), in path order.

    ``root`` is how sources are named (``parent/charts/sub`` for a subchart); default the chart name.
    ``budget`` is shared by every chart of one render; default a fresh one.
    """
    environment = _environment(chart, budget or RenderBudget())
    # the context lives in the environment's globals so macros imported from _* files see it too
    environment.globals.update(context, Values=_with_paths(context.get("Values", {}), "Values"))
    rendered = []
    for name in sorted(chart.templates):
        if not is_emitted(name) or (only is not None and name not in only):
            continue
        text = render_one(environment, chart, name)
        rendered.append(RenderedTemplate(root or chart.name, name, text))
    return rendered


def render_one(environment: SandboxedEnvironment, chart: Chart, name: str) -> str:
    """Render one template; every failure becomes a RenderError naming the file and line."""
    try:
        template = environment.get_template(name[len(TEMPLATES_DIR) :])
        chunks = template.generate(Template={"name": f"{chart.name}/{name}", "basePath": f"{chart.name}/templates"})
        return _emit(environment, chunks)
    except jinja2.TemplateSyntaxError as error:
        raise RenderError(
            f"template syntax error: {error.message}", template=error.filename or name, line=error.lineno
        ) from error
    except TemplateFailure as error:
        where, line = _template_frame(error.__traceback__, f"{chart.name}/{name}")
        raise RenderError(error.message, template=where, line=line) from error
    except jinja2.UndefinedError as error:
        where, line = _template_frame(error.__traceback__, f"{chart.name}/{name}")
        raise RenderError(str(error.message), template=where, line=line) from error
    except jinja2.TemplateNotFound as error:
        raise RenderError(
            f"cannot import {error.name!r}: no such template in {chart.name}/templates", template=f"{chart.name}/{name}"
        ) from error
    except jinja2.sandbox.SecurityError as error:
        where, line = _template_frame(error.__traceback__, f"{chart.name}/{name}")
        raise RenderError(f"not allowed in templates: {error}", template=where, line=line) from error
    except BudgetExceeded as error:
        where, line = _template_frame(error.__traceback__, f"{chart.name}/{name}")
        raise RenderError(str(error), template=where, line=line) from None
    except MemoryError as error:
        where, line = _template_frame(error.__traceback__, f"{chart.name}/{name}")
        raise RenderError("the template ran out of memory", template=where, line=line) from None
    except RecursionError as error:
        where, line = _template_frame(error.__traceback__, f"{chart.name}/{name}")
        raise RenderError(
            "templates nest too deeply or call each other without end (a recursive macro or include?)",
            template=where,
            line=line,
        ) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as error:
        where, line = _template_frame(error.__traceback__, f"{chart.name}/{name}")
        raise RenderError(f"{type(error).__name__}: {error}", template=where, line=line) from error


def _emit(environment: SandboxedEnvironment, chunks: Any) -> str:
    """The template's text; over the output budget, the error is thrown in where the template yielded."""
    budget: RenderBudget = environment.budget  # type: ignore[attr-defined]  # always a _BudgetedEnvironment
    parts = []
    for chunk in chunks:
        budget.output_left -= len(chunk)
        if budget.output_left < 0:
            chunks.throw(BudgetExceeded(budget.output_message()))
        parts.append(chunk)
    return "".join(parts)


def _template_frame(traceback: TracebackType | None, fallback: str) -> tuple[str, int | None]:
    """The innermost template file and line in a traceback Jinja has rewritten."""
    where: tuple[str, int | None] = (fallback, None)
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if "/templates/" in filename and not filename.endswith(".py"):
            where = (filename, traceback.tb_lineno)
        traceback = traceback.tb_next
    return where
