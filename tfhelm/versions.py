"""SemVer 2 versions and Helm's version-constraint language.

This module owns everything tfhelm knows about version numbers:

* :class:`Version` - an immutable, hashable SemVer 2 version ordered by SemVer precedence
  (build metadata is ignored for ordering *and* equality, as SemVer and Helm do).
* :func:`parse_version` - strict SemVer 2 (Chart.yaml ``version``) or the loose form Helm's
  semver library (Masterminds/semver v3) accepts: an optional leading ``v`` and missing
  minor/patch numbers (``v1.30`` is ``1.30.0``).
* :func:`parse_constraint` / :class:`Constraint` - the constraint language of Masterminds/semver
  v3 as Helm uses it for ``kubeVersion``, dependency versions and ``--version``: comparison
  operators, ``~`` and ``^`` ranges, ``x``/``X``/``*`` wildcards, hyphen ranges, AND by space or
  comma, OR by ``||``.
* :func:`highest_match` - pick the newest version a constraint allows (Helm's chart lookup).

Prerelease rule (Masterminds v3, as Helm uses it): an AND group of a constraint only considers
prerelease versions when one of its own comparators names a prerelease (``>=1.2.0-0``), or when
the caller asks for them (Helm's ``--devel``, ``include_prerelease=True`` here).

Kubernetes versions: Helm checks ``kubeVersion`` against the server's ``gitVersion`` as-is, parsed
loosely. Managed clusters report versions like ``v1.33.0-gke.100`` or ``v1.34.6-eks-bbe087e``,
whose suffix is a SemVer *prerelease*, so Helm (and tfhelm) reject them for ``>= 1.27`` and
accept them for ``>= 1.27.0-0``. That is why charts write kubeVersion with ``-0``::

    >>> gke = parse_version("v1.33.0-gke.100", strict=False)
    >>> parse_constraint(">= 1.27").allows(gke), parse_constraint(">=1.27.0-0").allows(gke)
    (False, True)

Where Masterminds' behaviour is odd for nonsensical input (``^*`` allows only ``0.0.0``,
``!=*`` excludes only ``0.0.0``, ``<=*`` allows only ``0.0.z``) tfhelm reproduces it, so a chart
means the same thing under Helm and under tfhelm. It differs only where Masterminds accepts or
rejects text by accident: tfhelm rejects digits glued to a wildcard (``1.x.3x``, which
Masterminds ignores after the ``x``) and accepts a hyphen range right after ``||`` with no space
(``^1||2.0 - 3.0``, which Masterminds rejects).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache

__all__ = [
    "Constraint",
    "Version",
    "highest_match",
    "is_valid_semver",
    "parse_constraint",
    "parse_version",
]

_STRICT_FORM = "MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]"
# Version parsing uses plain string tests, not regexes: it is on the CLI start path.
_IDENTIFIER_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")
_MAX_NUMBER = 2**64 - 1  # Helm parses version numbers as Go uint64


# --------------------------------------------------------------------------- versions


def _is_number(text: str) -> bool:
    """ASCII digits only (str.isdigit alone also accepts other scripts' digits)."""
    return text.isascii() and text.isdigit()


def _identifiers_problem(text: str, what: str, *, numeric_rule: bool) -> str | None:
    """Why a dot-separated prerelease/build string is invalid, or None when it is valid."""
    for identifier in text.split("."):
        if not identifier:
            return f"{what} {text!r} has an empty identifier"
        if not _IDENTIFIER_CHARS.issuperset(identifier):
            return f"{what} {text!r} may only contain ASCII letters, digits, '-' and '.'"
        if numeric_rule and _is_number(identifier) and len(identifier) > 1 and identifier[0] == "0":
            return f"numeric {what} identifier {identifier!r} must not have leading zeros"
    return None


def _precedence_key(major: int, minor: int, patch: int, prerelease: str) -> tuple:
    if not prerelease:
        return (major, minor, patch, 1, ())
    # Numeric identifiers sort numerically and below alphanumeric ones; a shorter list of
    # otherwise equal identifiers sorts first - tuple comparison gives exactly that.
    parts = tuple((0, int(part), "") if _is_number(part) else (1, 0, part) for part in prerelease.split("."))
    return (major, minor, patch, 0, parts)


class Version:
    """A SemVer 2 version: immutable, hashable, ordered by SemVer precedence.

    ``str()`` gives the canonical text (no leading ``v``, all three numbers); ``original`` keeps
    the text it was parsed from (a chart repository index must be queried with that text).
    Two versions that differ only in build metadata compare equal, as in SemVer and Helm.
    """

    __slots__ = ("major", "minor", "patch", "prerelease", "build", "original", "_key")

    major: int
    minor: int
    patch: int
    prerelease: str
    build: str
    original: str
    _key: tuple

    def __init__(self, major: int, minor: int, patch: int, prerelease: str = "", build: str = "") -> None:
        for name, number in (("major", major), ("minor", minor), ("patch", patch)):
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise ValueError(f"version {name} must be a non-negative integer, got {number!r}")
            if number > _MAX_NUMBER:
                raise ValueError(f"version {name} {number} is larger than {_MAX_NUMBER}, the largest Helm accepts")
        for what, text, numeric_rule in (("prerelease", prerelease, True), ("build metadata", build, False)):
            if not isinstance(text, str):
                raise ValueError(f"version {what} must be a string, got {text!r}")
            problem = text and _identifiers_problem(text, what, numeric_rule=numeric_rule)
            if problem:
                raise ValueError(problem)
        values = {
            "major": major,
            "minor": minor,
            "patch": patch,
            "prerelease": prerelease,
            "build": build,
            "_key": _precedence_key(major, minor, patch, prerelease),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "original", str(self))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Version is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Version is immutable")

    def __reduce__(self) -> tuple:
        return (_restore_version, (self.major, self.minor, self.patch, self.prerelease, self.build, self.original))

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        if self.build:
            text += f"+{self.build}"
        return text

    def __repr__(self) -> str:
        return f"Version({str(self)!r})"

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return self._key == other._key if isinstance(other, Version) else NotImplemented

    def __lt__(self, other: Version) -> bool:
        return self._key < other._key if isinstance(other, Version) else NotImplemented

    def __le__(self, other: Version) -> bool:
        return self._key <= other._key if isinstance(other, Version) else NotImplemented

    def __gt__(self, other: Version) -> bool:
        return self._key > other._key if isinstance(other, Version) else NotImplemented

    def __ge__(self, other: Version) -> bool:
        return self._key >= other._key if isinstance(other, Version) else NotImplemented


def _restore_version(major: int, minor: int, patch: int, prerelease: str, build: str, original: str) -> Version:
    version = Version(major, minor, patch, prerelease, build)
    object.__setattr__(version, "original", original)
    return version


def _version_problem(text: str, strict: bool) -> tuple[str | None, Version | None]:
    """Parse ``text``; return ``(problem, None)`` or ``(None, version)``."""
    if text != text.strip():
        return "remove the leading or trailing whitespace", None
    rest, plus, build = text.partition("+")
    if plus and not build:
        return "build metadata after '+' is empty", None
    core, dash, prerelease = rest.partition("-")
    if dash and not prerelease:
        return "prerelease after '-' is empty", None
    if core.startswith("v"):
        if strict:
            return "strict SemVer has no leading 'v' (write it without the 'v')", None
        core = core[1:]
    numbers = core.split(".")
    if not 1 <= len(numbers) <= 3 or (strict and len(numbers) != 3):
        return f"expected {_STRICT_FORM}", None
    for number in numbers:
        if not _is_number(number):
            return f"{number!r} is not a number; expected {_STRICT_FORM}", None
        # Masterminds' loose parser coerces leading zeros ("01" -> 1); SemVer forbids them.
        if strict and len(number) > 1 and number[0] == "0":
            return f"number {number!r} must not have leading zeros", None
    ints = [int(number) for number in numbers] + [0] * (3 - len(numbers))
    try:
        version = Version(ints[0], ints[1], ints[2], prerelease, build)
    except ValueError as error:
        return str(error), None
    object.__setattr__(version, "original", text)
    return None, version


def parse_version(text: str, *, strict: bool = True) -> Version:
    """Parse a version; raise ValueError naming the text and what is wrong with it.

    ``strict=True`` accepts exactly SemVer 2 (what Chart.yaml ``version`` must be).
    ``strict=False`` also accepts what Helm's semver library accepts when it reads a chart
    index or a Kubernetes version: a leading ``v``, ``1.2`` (1.2.0), ``1`` (1.0.0) and leading
    zeros in the numbers.
    """
    if not isinstance(text, str):
        raise ValueError(f"version must be a string, got {type(text).__name__} {text!r} (quote it in YAML)")
    if not text:
        raise ValueError("version is empty")
    problem, version = _version_problem(text, strict)
    if version is None:
        kind = "SemVer 2 version" if strict else "version"
        raise ValueError(f"invalid {kind} {text!r}: {problem}")
    return version


def is_valid_semver(text: str) -> bool:
    """True when ``text`` is a strict SemVer 2 version (no ``v``, three numbers)."""
    return isinstance(text, str) and bool(text) and _version_problem(text, True)[1] is not None


# --------------------------------------------------------------------------- constraints

_SPACE = "[ \t\n\f\r]"  # Go's \s, which Masterminds uses; Python's \s would add Unicode spaces
_PART = r"[0-9]+|[xX*]"
_DOTTED = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_VERSION_PATTERN = (
    rf"v?(?P<major>{_PART})(?:\.(?P<minor>{_PART}))?(?:\.(?P<patch>{_PART}))?"
    rf"(?:-(?P<pre>{_DOTTED}))?(?:\+(?P<build>{_DOTTED}))?"
)


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The constraint scanner's regexes (term, hyphen, separator, end), compiled on first use."""
    # Longer operators first so ">=" is not read as ">" followed by "=1.2".
    operator = r"!=|>=|=>|<=|=<|~>|>|<|=|~|\^"
    return (
        re.compile(rf"{_SPACE}*(?P<op>{operator})?{_SPACE}*(?P<version>{_VERSION_PATTERN})"),
        re.compile(rf"{_SPACE}+-{_SPACE}+"),
        re.compile(rf"{_SPACE}*,{_SPACE}*|{_SPACE}+"),
        re.compile(rf"{_SPACE}*\Z"),
    )


_OPERATOR_ALIASES = {"": "=", "=>": ">=", "=<": "<=", "~>": "~"}


class _Term:
    """One comparator: an operator and the version it compares against.

    ``wild`` names the first part written as a wildcard or left out: "major" for ``*``,
    "minor" for ``1`` / ``1.x``, "patch" for ``1.2`` / ``1.2.x``, None for ``1.2.3``; the
    missing parts of ``bound`` are zero.
    """

    __slots__ = ("op", "bound", "wild", "text")

    def __init__(self, op: str, bound: Version, wild: str | None, text: str) -> None:
        self.op = op
        self.bound = bound
        self.wild = wild
        self.text = text


def _not_equal(v: Version, t: _Term) -> bool:
    b = t.bound
    if t.wild is None:
        return v != b
    if v.major != b.major:
        return True
    if t.wild == "minor":
        return False
    if v.minor != b.minor:
        return True
    if t.wild == "patch":
        return v.prerelease != b.prerelease
    return v != b


def _greater(v: Version, t: _Term) -> bool:
    b = t.bound
    if t.wild in (None, "major"):
        return v > b
    if v.major != b.major:
        return v.major > b.major
    # ">1" needs 2.0.0 or later; ">1.2" needs 1.3.0 or later.
    return t.wild == "patch" and v.minor > b.minor


def _less_equal(v: Version, t: _Term) -> bool:
    b = t.bound
    if t.wild is None:
        return v <= b
    if v.major != b.major:
        return v.major < b.major
    # "<=1" allows all of 1.x; "<=1.2" allows all of 1.2.x.
    return t.wild == "minor" or v.minor <= b.minor


def _tilde(v: Version, t: _Term) -> bool:
    b = t.bound
    if v < b:
        return False
    if (b.major, b.minor, b.patch) == (0, 0, 0) and t.wild not in ("minor", "patch"):
        return True  # "~*" and "~0.0.0" allow everything
    if v.major != b.major:
        return False
    return t.wild == "minor" or v.minor == b.minor


def _equal(v: Version, t: _Term) -> bool:
    # A wildcard turns "=" into a tilde range: "1.2.x" is "~1.2".
    return _tilde(v, t) if t.wild else v == t.bound


def _caret(v: Version, t: _Term) -> bool:
    b = t.bound
    if v < b:
        return False
    if b.major > 0 or t.wild == "minor":
        return v.major == b.major
    if v.major > 0:
        return False
    # Below 1.0.0 the minor number is the compatibility level, below 0.1.0 the patch number.
    if b.minor > 0 or t.wild == "patch":
        return v.minor == b.minor
    return v.minor == 0 and v.patch == b.patch


_CHECKS: dict[str, Callable[[Version, _Term], bool]] = {
    "=": _equal,
    "!=": _not_equal,
    ">": _greater,
    "<": lambda v, t: v < t.bound,
    ">=": lambda v, t: v >= t.bound,
    "<=": _less_equal,
    "~": _tilde,
    "^": _caret,
}


class _Group:
    """Comparators joined by AND; prereleases count only if one of them names a prerelease."""

    __slots__ = ("terms", "wants_prerelease")

    def __init__(self, terms: tuple[_Term, ...]) -> None:
        self.terms = terms
        self.wants_prerelease = any(term.bound.prerelease for term in terms)

    def allows(self, version: Version, include_prerelease: bool) -> bool:
        if version.prerelease and not (include_prerelease or self.wants_prerelease):
            return False
        return all(_CHECKS[term.op](version, term) for term in self.terms)


class Constraint:
    """A parsed version constraint; alternatives (``||``) of AND groups of comparators.

    ``text`` is the constraint as written; ``str()`` is a normalised form
    (``">= 1.2, <2"`` becomes ``">=1.2 <2"``, a hyphen range becomes its two comparators).
    """

    __slots__ = ("text", "_groups")

    def __init__(self, text: str, groups: tuple[_Group, ...]) -> None:
        self.text = text
        self._groups = groups

    def allows(self, version: Version | str, *, include_prerelease: bool = False) -> bool:
        """True when ``version`` satisfies the constraint.

        A string is parsed loosely, as Helm parses a Kubernetes or chart-index version; an
        unparseable string raises ValueError. ``include_prerelease`` is Helm's ``--devel``.
        """
        if isinstance(version, str):
            version = parse_version(version, strict=False)
        return any(group.allows(version, include_prerelease) for group in self._groups)

    def __str__(self) -> str:
        return " || ".join(" ".join(term.text for term in group.terms) for group in self._groups)

    def __repr__(self) -> str:
        return f"Constraint({self.text!r})"


def _make_term(op: str, match: re.Match[str]) -> _Term:
    major, minor, patch = match["major"], match["minor"], match["patch"]
    numbers = [major, minor, patch]
    wild = None
    for index, name in enumerate(("major", "minor", "patch")):
        if numbers[index] is None or numbers[index] in ("x", "X", "*"):
            wild = name
            numbers[index:] = ["0"] * (3 - index)
            break
    try:
        bound = Version(int(numbers[0]), int(numbers[1]), int(numbers[2]), match["pre"] or "", match["build"] or "")
    except ValueError as error:
        raise ValueError(f"{match['version']!r}: {error}") from None
    return _Term(_OPERATOR_ALIASES.get(op, op), bound, wild, op + match["version"])


def _parse_group(text: str) -> _Group:
    term_pattern, hyphen_pattern, separator_pattern, end_pattern = _patterns()
    terms: list[_Term] = []
    position = 0
    while True:
        term = term_pattern.match(text, position)
        if term is None:
            found = text[position:].strip() or "nothing"
            raise ValueError(f"expected a version, optionally after an operator, at {found!r}")
        position = term.end()
        hyphen = hyphen_pattern.match(text, position)
        if hyphen:
            if term["op"]:
                raise ValueError(f"a hyphen range cannot start with an operator ({term['op']!r})")
            upper = term_pattern.match(text, hyphen.end())
            if upper is None or upper["op"]:
                raise ValueError(f"a hyphen range needs a plain version after ' - ', found {text[hyphen.end() :]!r}")
            terms += [_make_term(">=", term), _make_term("<=", upper)]
            position = upper.end()
        else:
            terms.append(_make_term(term["op"] or "", term))
        if end_pattern.match(text, position):
            return _Group(tuple(terms))
        separator = separator_pattern.match(text, position)
        if separator is None:
            raise ValueError(f"unexpected {text[position:]!r} after {text[:position].strip()!r}")
        position = separator.end()


def parse_constraint(text: str) -> Constraint:
    """Parse a Masterminds/semver v3 constraint; raise ValueError naming the text on error."""
    if not isinstance(text, str):
        raise ValueError(f"version constraint must be a string, got {type(text).__name__} {text!r}")
    if not text.strip():
        raise ValueError("version constraint is empty")
    groups = []
    for alternative in text.split("||"):
        if not alternative.strip():
            raise ValueError(f"invalid version constraint {text!r}: empty alternative around '||'")
        try:
            groups.append(_parse_group(alternative))
        except ValueError as error:
            raise ValueError(f"invalid version constraint {text!r}: {error}") from None
    return Constraint(text, tuple(groups))


def highest_match(
    constraint: Constraint,
    versions: Iterable[Version | str],
    *,
    include_prerelease: bool = False,
) -> Version | None:
    """The highest version ``constraint`` allows, or None.

    Strings are parsed loosely and skipped when they are not versions, as Helm skips bad
    entries of a repository index. Of versions equal in precedence (differing only in build
    metadata) the first one wins. ``include_prerelease`` is Helm's ``--devel``.
    """
    best: Version | None = None
    for item in versions:
        version = _version_problem(item, False)[1] if isinstance(item, str) else item
        if version is None:
            continue
        if (best is None or version > best) and constraint.allows(version, include_prerelease=include_prerelease):
            best = version
    return best
