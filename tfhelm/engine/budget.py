"""The render budget: how much work, memory and output one render of a chart tree may cost.

A chart is untrusted input (see README, Security), and Jinja's sandbox stops escapes but not
bombs: ``'a' * 10**10``, ``10**(10**9)`` or two nested ``range(100000)`` loops would run until
the machine gives out. :class:`SandboxedEnvironment`'s operator interception lets the engine
check sizes *before* an operation runs, and :func:`count_loops` rewrites every ``{% for %}`` so
each iteration is counted. One :class:`RenderBudget` covers a whole render (parent and
subcharts); when it runs out, :class:`BudgetExceeded` is raised inside the template and the
renderer reports it with the template's file and line.

The limits are generous: charts/tf-cluster with 10,000 workers uses 290,000 operations (3 % of
the budget), 38 MB of output (30 %) and about 5 CPU seconds (10 %).
"""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

from jinja2 import nodes

from tfhelm.errors import BudgetExceeded

__all__ = [
    "MAX_CPU_SECONDS",
    "MAX_INT_BITS",
    "MAX_OPERATIONS",
    "MAX_OUTPUT_BYTES",
    "MAX_SIZE",
    "BudgetExceeded",
    "RenderBudget",
    "count_loops",
]

MAX_SIZE = 1 << 24  # characters or items in one string or list an operator, width or concatenation makes
MAX_INT_BITS = 14_000  # about 4,200 decimal digits: Python's own int-to-text limit is 4,300
MAX_OPERATIONS = 10_000_000  # loop iterations plus calls in one render
MAX_OUTPUT_BYTES = 128 << 20  # characters of rendered text, all templates of the chart tree together
MAX_CPU_SECONDS = 60.0  # processor time one render may take

_LONG_NUMBER = re.compile(r"\d{8,}")


def _size(value: Any) -> int | None:
    if isinstance(value, (str, bytes, list, tuple)):
        return len(value)
    return None


def _check_int(value: int, what: str) -> int:
    if value.bit_length() > MAX_INT_BITS:
        raise BudgetExceeded(f"{what} would exceed the render budget (integers of at most {MAX_INT_BITS:,} bits)")
    return value


def _check_width(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SIZE:
        raise BudgetExceeded(f"{what} {value:,} exceeds the render budget ({MAX_SIZE:,} characters or items)")


def _check_format(text: str) -> None:
    """A width or precision written into a format string (``'%9999999999d'``, ``'{:>9999999999}'``)."""
    for number in _LONG_NUMBER.findall(text):
        _check_width(int(number), "a width in a format string of")


class RenderBudget:
    """The work left for one render; the sandbox calls it before each costly operation."""

    def __init__(
        self,
        *,
        operations: int = MAX_OPERATIONS,
        output_bytes: int = MAX_OUTPUT_BYTES,
        cpu_seconds: float = MAX_CPU_SECONDS,
    ) -> None:
        self.operations_left = operations
        self.output_left = output_bytes
        self.max_operations = operations
        self.max_output = output_bytes
        self.cpu_seconds = cpu_seconds
        self.deadline = time.process_time() + cpu_seconds

    # -- work ------------------------------------------------------------------------------
    def spend(self) -> None:
        """One operation (a loop iteration or a call); checks the CPU deadline every 256."""
        self.operations_left -= 1
        if not self.operations_left & 0xFF:
            if self.operations_left < 0:
                raise BudgetExceeded(
                    f"the templates exceed the render budget of {self.max_operations:,} loop iterations and calls"
                )
            if time.process_time() > self.deadline:
                raise BudgetExceeded(f"the templates exceed the render budget of {self.cpu_seconds:g} CPU seconds")

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """What every ``{% for %}`` loops over: the same items, each one counted."""
        for item in iterable:
            self.spend()
            yield item

    def output_message(self) -> str:
        return f"the rendered output exceeds the render budget of {self.max_output:,} characters"

    # -- operators -------------------------------------------------------------------------
    def binop(self, name: str, left: Any, right: Any) -> Any:
        """``left <name> right`` after checking the result stays within the budget."""
        if name == "**":
            return self._power(left, right)
        if name == "*":
            self._check_repeat(left, right)
        elif name == "+":
            left_size, right_size = _size(left), _size(right)
            if left_size is not None and right_size is not None and left_size + right_size > MAX_SIZE:
                raise BudgetExceeded(f"joining {left_size:,} and {right_size:,} items exceeds the render budget")
        elif name == "%" and isinstance(left, str):
            _check_format(left)
            for argument in right if isinstance(right, tuple) else (right,):
                _check_width(argument, "a width in a format argument of")
        result = _OPERATORS[name](left, right)
        if isinstance(result, int) and name == "+":
            _check_int(result, "the sum")
        return result

    def _check_repeat(self, left: Any, right: Any) -> None:
        for sequence, count in ((left, right), (right, left)):
            size = _size(sequence)
            if size is not None and isinstance(count, int) and size * count > MAX_SIZE:
                raise BudgetExceeded(
                    f"repeating {size:,} items {count:,} times exceeds the render budget"
                    f" ({MAX_SIZE:,} characters or items)"
                )
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise BudgetExceeded(
                f"the product would exceed the render budget (integers of at most {MAX_INT_BITS:,} bits)"
            )

    def _power(self, base: Any, exponent: Any) -> Any:
        integers = isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1
        if integers and (exponent > MAX_INT_BITS or (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS):
            raise BudgetExceeded(
                f"{base} ** {exponent} exceeds the render budget (integers of at most {MAX_INT_BITS:,} bits)"
            )
        return operator.pow(base, exponent)

    def concat(self, parts: tuple[Any, ...]) -> str:
        """The ``~`` operator, refusing a result over the size budget before building it."""
        texts = [str(part) for part in parts]
        total = sum(len(text) for text in texts)
        if total > MAX_SIZE:
            raise BudgetExceeded(f"concatenating {total:,} characters exceeds the render budget ({MAX_SIZE:,})")
        return "".join(texts)

    def check_call(self, function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Count a call; refuse giant widths and counts passed to string and list methods."""
        self.spend()
        owner = getattr(getattr(function, "__wrapped__", function), "__self__", None)
        if isinstance(owner, (str, bytes, list)):
            for argument in (*args, *kwargs.values()):
                _check_width(argument, "a width or count of")
            if isinstance(owner, str):
                _check_format(owner)


_OPERATORS = {
    "*": operator.mul,
    "+": operator.add,
    "%": operator.mod,
}

INTERCEPTED_BINOPS = frozenset({"*", "**", "+", "%"})


def bounded_width(function: Any) -> Any:
    """Wrap a filter taking a width (``indent``, ``center``) so a giant width is refused."""

    def wrapper(value: Any, *args: Any, **kwargs: Any) -> Any:
        for argument in (*args, *kwargs.values()):
            _check_width(argument, "a width of")
        return function(value, *args, **kwargs)

    wrapper.__name__ = getattr(function, "__name__", "filter")
    wrapper.__doc__ = function.__doc__
    return wrapper


def count_loops(tree: nodes.Template) -> nodes.Template:
    """Rewrite every ``{% for x in ITER %}`` as ``{% for x in environment.budget_loop(ITER) %}``."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Call(
            nodes.EnvironmentAttribute("budget_loop", lineno=loop.iter.lineno),
            [loop.iter],
            [],
            None,
            None,
            lineno=loop.iter.lineno,
        )
    return tree
