"""Every exception class of tfhelm lives in ``tfhelm.errors`` and in the tree its docstring draws."""

import importlib
import pkgutil
import re

import pytest

import tfhelm
import tfhelm.errors as errors

# Plain Exceptions on purpose: the docstring says why each never reaches the user.
SIGNALS = {"YamlProblem", "UnknownKind", "BudgetExceeded", "PatternError"}  # plain Exceptions, drawn in the docstring


def _every_module():
    names = [info.name for info in pkgutil.walk_packages(tfhelm.__path__, "tfhelm.")]
    return [importlib.import_module(name) for name in ["tfhelm", *names] if not name.endswith("__main__")]


def _public_exceptions() -> dict[str, type]:
    found = {}
    for module in _every_module():
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__.startswith("tfhelm"):
                if not name.startswith("_"):
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def _drawn_tree() -> dict[str, str | None]:
    """Class name → the parent the docstring draws it under (None for a root)."""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    in_tree = False
    for line in errors.__doc__.splitlines():
        match = re.match(r"^    ((?:[│ ]   )*)(?:[├└]── )?([A-Z]\w+)(?:\s|$)", line)
        if not match:
            in_tree = in_tree and line.strip() != ""
            continue
        if match.group(2) == "TfhelmError":
            in_tree = True
        if not in_tree:
            continue
        prefix = match.group(1)
        depth = len(prefix) // 4 + (1 if "──" in line else 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[match.group(2)] = stack[-1][1] if stack else None
        stack.append((depth, match.group(2)))
    return parents


def test_the_drawn_tree_is_the_real_hierarchy():
    tree = _drawn_tree()
    assert tree["TfhelmError"] is None and len(tree) > 20
    for name, parent in tree.items():
        cls = getattr(errors, name)
        if parent is not None:
            assert cls.__bases__ == (getattr(errors, parent),), f"{name} is drawn under {parent}"


def test_every_public_exception_is_in_the_tree_and_reachable_from_errors():
    exceptions = _public_exceptions()
    assert len(exceptions) >= 25, sorted(exceptions)
    tree = _drawn_tree()
    for where, cls in exceptions.items():
        assert getattr(errors, cls.__name__, None) is cls, f"{where} is not reachable as tfhelm.errors.{cls.__name__}"
        assert cls.__module__ == "tfhelm.errors", f"{where} is defined outside tfhelm/errors.py"
        if cls.__name__ in SIGNALS:
            assert not issubclass(cls, errors.TfhelmError)
            assert re.search(rf"^    {cls.__name__}\s", errors.__doc__, re.M), f"{cls.__name__} is not documented"
        else:
            assert issubclass(cls, errors.TfhelmError), f"{where} does not derive from TfhelmError"
            assert cls.__name__ in tree, f"{where} is missing from the tree in errors.py's docstring"


def test_errors_all_lists_every_class_it_defines():
    defined = {name for name, value in vars(errors).items() if isinstance(value, type) and value.__module__ == errors.__name__}
    assert defined <= set(errors.__all__)
    assert errors.__all__ == sorted(errors.__all__)


@pytest.mark.parametrize("error", [errors.ChartError, errors.ValuesError, errors.RepoError, errors.ClusterError])
def test_parse_yaml_names_file_and_line_in_the_callers_error(error):
    from tfhelm.yamlio import parse_yaml

    with pytest.raises(error) as caught:
        parse_yaml("a: 1\nb: [1, 2\n", file="where.yaml", error=error)
    assert type(caught.value) is error
    assert re.match(r"where\.yaml:\d: invalid YAML: ", str(caught.value))
    if error in (errors.ChartError, errors.ValuesError):
        assert caught.value.file == "where.yaml" and caught.value.line is not None
    assert parse_yaml("a: 1\n", file="where.yaml", error=error) == {"a": 1}
