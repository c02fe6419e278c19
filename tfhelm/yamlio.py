"""Safe YAML loading and dumping shared by every part of tfhelm.

Loading is always safe (no Python tags) and uses libyaml when available. Timestamps stay
strings, as they do in Helm (values pass through JSON there), so ``date: 2024-01-01`` renders
back unchanged and values can always be serialised to JSON. Parse errors are re-raised by the
caller's choice of error class with the file and line of the problem.

Every YAML tfhelm reads (values files, Chart.yaml, Chart.lock, index.yaml, kubeconfigs, rendered
manifests) is loaded here, so this is where aliases are bounded: a document whose aliases expand
it far beyond what was written (a "billion laughs" bomb of a few hundred bytes) or refer to a
node that contains them is refused before anything walks the expanded data, with the same
budget as Go's yaml.v3 ("excessive aliasing").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from tfhelm.errors import ChartError, TfhelmError, ValuesError, YamlProblem, location

try:
    from yaml import CSafeDumper as _BaseDumper, CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeDumper as _BaseDumper, SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = ["YamlProblem", "dump_yaml", "load_yaml", "load_yaml_documents", "load_yaml_streamed", "parse_yaml"]


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_CACHE_LIMIT = 100_000
_plain_tags: dict[str, str] = {}
_scalars: dict[tuple[str, str], Any] = {}


class _Loader(_BaseLoader):
    """Safe loader that keeps timestamps as plain strings and remembers how plain scalars resolve.

    Resolving a plain scalar depends only on its text, and rendered manifests repeat the same
    few thousand texts (``TCP``, ``name``, ``8080``) hundreds of thousands of times.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            tag = _plain_tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_plain_tags) < _CACHE_LIMIT:
                    _plain_tags[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    # tfhelm registers no path resolvers; skip PyYAML's bookkeeping for them on every node
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


class _Builder:
    """Builds Python objects from composed nodes, much faster than PyYAML's generic constructor.

    Plain maps, sequences and strings are built directly; every other scalar goes through
    PyYAML's safe constructor once per distinct text; anything unusual (merge keys, other tags)
    falls back to PyYAML entirely, so the result is always what ``safe_load`` would give. A node
    reached through several aliases is built once and shared, as PyYAML does.
    """

    def __init__(self, loader: _Loader):
        self.loader = loader
        self.built: dict[int, Any] = {}

    def build(self, node: Any) -> Any:
        kind = node.__class__
        if kind is ScalarNode:
            return node.value if node.tag == _STR else self._scalar(node)
        done = self.built.get(id(node))
        if done is not None:
            return done
        if kind is MappingNode and node.tag == _MAP and not any(key.tag == _MERGE for key, _ in node.value):
            return self._mapping(node)
        if kind is SequenceNode and node.tag == _SEQ:
            items: list[Any] = []
            self.built[id(node)] = items
            items.extend(self.build(item) for item in node.value)
            return items
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: Any) -> dict[Any, Any]:
        mapping: dict[Any, Any] = {}
        self.built[id(node)] = mapping
        for key_node, value_node in node.value:
            key = self.build(key_node)
            try:
                mapping[key] = self.build(value_node)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
                ) from None
        return mapping

    def _scalar(self, node: Any) -> Any:
        key = (node.tag, node.value)
        if key in _scalars:
            return _scalars[key]
        try:
            value = self.loader.construct_object(node, deep=True)
        except ValueError:  # Python's limit on integer digits (sys.get_int_max_str_digits(), 4,300)
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of {len(node.value):,} characters is too long to read", node.start_mark
            ) from None
        if isinstance(value, (int, float, bool, type(None))) and len(_scalars) < _CACHE_LIMIT:
            _scalars[key] = value
        return value


class _Dumper(_BaseDumper):
    """Safe dumper; block sequences are not indented under their key, as in Helm's toYaml."""


def _represent_str(dumper: _Dumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
# dict and list subclasses (such as the engine's path-aware values) dump as plain mappings/lists
_Dumper.add_multi_representer(dict, yaml.SafeDumper.represent_dict)
_Dumper.add_multi_representer(list, yaml.SafeDumper.represent_list)


def _problem(error: yaml.YAMLError) -> YamlProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    text = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    if context:
        text = f"{text} ({context})"
    if mark is None:
        return YamlProblem(text, None, None)
    return YamlProblem(text, mark.line + 1, mark.column + 1)


# Go yaml.v3's budget: up to 99% of a document's nodes may come from aliases while it expands to
# at most 400,000 nodes, falling to 10% at 4,000,000 and above.
_ALIAS_RATIO_LOW = 400_000
_ALIAS_RATIO_HIGH = 4_000_000


def _allowed_alias_ratio(expanded: int) -> float:
    if expanded <= _ALIAS_RATIO_LOW:
        return 0.99
    if expanded >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (expanded - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


def _children(node: Any) -> list[Any]:
    if node.__class__ is MappingNode:
        return [part for pair in node.value for part in pair]
    if node.__class__ is SequenceNode:
        return node.value
    return []


def _check_aliases(root: Any) -> None:
    """Refuse excessive or recursive aliasing in one composed document.

    Composing keeps each anchored node once however often it is aliased; this counts the nodes
    the document would have with every alias expanded, in time linear in what was written.
    """
    expanded: dict[int, int] = {}
    active: set[int] = set()  # the nodes on the path being walked
    heaviest: tuple[int, Any] = (0, root)  # the largest node reached more than once, for the message
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            active.discard(key)
            expanded[key] = 1 + sum(expanded[id(child)] for child in _children(node))
            continue
        if key in expanded:
            if expanded[key] > heaviest[0]:
                heaviest = (expanded[key], node)
            continue
        if key in active:
            raise YamlProblem(
                "an alias refers to a node that contains it (a recursive document); tfhelm does not load those",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        active.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))
    total, written = expanded[id(root)], len(expanded)
    from_aliases = total - written
    if from_aliases > 100 and total > 1000 and from_aliases / total > _allowed_alias_ratio(total):
        size = f"{total:,}" if total < 10**15 else "more than 10^15"
        mark = heaviest[1].start_mark
        raise YamlProblem(
            f"excessive aliasing: aliases expand the {written:,} nodes written to {size} nodes; refusing a "
            'possible "billion laughs" bomb (the most expanded anchor starts on this line)',
            mark.line + 1,
            mark.column + 1,
        )


def _checked(node: Any, text: str | bytes) -> Any:
    """``node`` once its aliases passed :func:`_check_aliases` (skipped when the text has none)."""
    if node is not None and ("*" in text if isinstance(text, str) else b"*" in text):
        _check_aliases(node)
    return node


@contextmanager
def _problems(loader: _Loader) -> Iterator[None]:
    """Turn PyYAML's errors into :class:`YamlProblem` and always release the parser."""
    try:
        yield
    except yaml.YAMLError as error:
        raise _problem(error) from None
    except RecursionError:
        raise YamlProblem("the document is nested too deeply", None, None) from None
    except MemoryError:
        raise YamlProblem("the document is too large to load into memory", None, None) from None
    finally:
        loader.dispose()


def load_yaml(text: str | bytes) -> Any:
    """Parse one YAML document safely; raise :class:`YamlProblem` with the line on error."""
    loader = _Loader(text)
    with _problems(loader):
        node = _checked(loader.get_single_node(), text)
        return None if node is None else _Builder(loader).build(node)


def parse_yaml(text: str | bytes, *, file: object, error: type[TfhelmError], what: str = "") -> Any:
    """:func:`load_yaml` for a file the user gave: a YAML problem becomes ``error`` naming file and line.

    :class:`ChartError` and :class:`ValuesError` carry ``file`` and ``line`` as fields; other classes
    get ``file:line: invalid YAML{what}: problem`` as their message. Only the parser's problem is
    quoted, never the offending line, which may hold a secret.

    >>> parse_yaml("a: [1", file="values.yaml", error=ValuesError)  # doctest: +SKIP
    ValuesError: values.yaml:1: invalid YAML: ...
    """
    try:
        return load_yaml(text)
    except YamlProblem as problem:
        message = f"invalid YAML{what}: {problem.problem}"
        if issubclass(error, (ChartError, ValuesError)):
            raise error(message, file=file, line=problem.line) from None
        raise error(f"{location(file, problem.line)}: {message}") from None


def load_yaml_documents(text: str | bytes) -> Iterator[Any]:
    """Parse every document of a YAML stream safely, in order."""
    loader = _Loader(text)
    with _problems(loader):
        while loader.check_node():
            yield _Builder(loader).build(_checked(loader.get_node(), text))


class _NotPlain(Exception):
    """The document uses anchors, aliases, merge keys or tags: :func:`load_yaml` must read it."""


class _StreamBuilder:
    """Builds one plain document straight from parser events, never holding the node graph.

    PyYAML's composer keeps a node (with two position marks) for every scalar of the document
    until it is built: about 25 times the text in memory. Here each event is built and dropped.
    Scalars are typed exactly as :class:`_Builder` types them.
    """

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.scalars = _Builder(loader)

    def document(self) -> Any:
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(StreamEndEvent):
            return None
        loader.get_event()  # document start
        value = self.value(loader.get_event())
        if not loader.check_event(DocumentEndEvent):
            raise _NotPlain
        loader.get_event()
        if not loader.check_event(StreamEndEvent):
            raise _NotPlain  # several documents: load_yaml reports it
        return value

    def value(self, event: Any) -> Any:
        kind = event.__class__
        if kind is ScalarEvent and event.anchor is None:
            return self.scalar(event)
        if kind is MappingStartEvent and event.anchor is None and event.tag in (None, "!", _MAP):
            return self.mapping()
        if kind is SequenceStartEvent and event.anchor is None and event.tag in (None, "!", _SEQ):
            items = []
            while not self.loader.check_event(SequenceEndEvent):
                items.append(self.value(self.loader.get_event()))
            self.loader.get_event()
            return items
        raise _NotPlain  # an alias, an anchor or an explicit tag

    def scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
        elif tag != _STR:
            raise _NotPlain
        if tag == _STR:
            return event.value
        if tag == _MERGE:
            raise _NotPlain
        return self.scalars.build(ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style))

    def mapping(self) -> dict[Any, Any]:
        mapping: dict[Any, Any] = {}
        while not self.loader.check_event(MappingEndEvent):
            key = self.value(self.loader.get_event())
            value = self.value(self.loader.get_event())
            try:
                mapping[key] = value
            except TypeError:
                raise _NotPlain from None
        self.loader.get_event()
        return mapping


def load_yaml_streamed(text: str | bytes) -> Any:
    """:func:`load_yaml` for large documents (repository indexes): the same result, built from
    parser events in a fraction of the memory. Documents with anchors, aliases, merge keys or
    explicit tags are read by :func:`load_yaml` itself, with its alias budget.
    """
    loader = _Loader(text)
    try:
        with _problems(loader):
            return _StreamBuilder(loader).document()
    except _NotPlain:
        return load_yaml(text)


def dump_yaml(value: Any) -> str:
    """Serialise to block-style YAML, keys in their given order, multi-line strings as ``|``."""
    return yaml.dump(
        value, Dumper=_Dumper, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1 << 16
    )
