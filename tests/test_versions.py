"""Tests for tfhelm.versions: SemVer 2 parsing and ordering, Masterminds/semver v3 constraints.

The constraint expectations follow Masterminds/semver v3 (the library Helm uses);
tests/interop/test_helm_recorded_tables.py re-checks CONSTRAINT_CASES and HIGHEST_MATCH_CASES
against the real Helm 4 binary's dependency resolution.
"""

from __future__ import annotations

import copy
import pickle

import pytest

from tfhelm.versions import (
    Constraint,
    Version,
    highest_match,
    is_valid_semver,
    parse_constraint,
    parse_version,
)

# --------------------------------------------------------------------------- parsing versions


@pytest.mark.parametrize(
    "text",
    [
        "0.0.0",
        "1.2.3",
        "10.20.30",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-0.3.7",
        "1.0.0-x.7.z.92",
        "1.0.0-x-y-z.--",
        "1.0.0-alpha+001",
        "1.0.0+20130313144700",
        "1.0.0-beta+exp.sha.5114f85",
        "1.33.0-gke.100",
        "18446744073709551615.0.0",
    ],
)
def test_strict_parse_round_trips(text: str) -> None:
    version = parse_version(text)
    assert str(version) == text
    assert version.original == text
    assert is_valid_semver(text)


def test_strict_parse_fields() -> None:
    version = parse_version("1.2.3-rc.1+build.5")
    assert (version.major, version.minor, version.patch) == (1, 2, 3)
    assert version.prerelease == "rc.1"
    assert version.build == "build.5"
    assert version.is_prerelease
    assert not parse_version("1.2.3").is_prerelease


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("1.2", "expected MAJOR.MINOR.PATCH"),
        ("1", "expected MAJOR.MINOR.PATCH"),
        ("1.2.3.4", "expected MAJOR.MINOR.PATCH"),
        ("v1.2.3", "leading 'v'"),
        ("01.2.3", "leading zeros"),
        ("1.02.3", "leading zeros"),
        ("1.2.03", "leading zeros"),
        ("1.2.3-01", "leading zeros"),
        ("1.2.3-", "prerelease after '-' is empty"),
        ("1.2.3+", "build metadata after '+' is empty"),
        ("1.2.3-alpha..1", "empty identifier"),
        ("1.2.3+b..1", "empty identifier"),
        ("1.2.3-alpha_1", "ASCII letters"),
        ("1.2.3+b+c", "ASCII letters"),
        ("a.b.c", "not a number"),
        ("1.2.x", "not a number"),
        ("1.2.٣", "not a number"),
        (" 1.2.3", "whitespace"),
        ("1.2.3\n", "whitespace"),
        ("18446744073709551616.0.0", "larger than"),
    ],
)
def test_strict_parse_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match="version") as error:
        parse_version(text)
    assert reason in str(error.value)
    if text:
        assert repr(text) in str(error.value)
    assert not is_valid_semver(text)


@pytest.mark.parametrize("value", [1.0, 1, None, ["1.0.0"]])
def test_parse_rejects_non_strings_with_a_yaml_hint(value: object) -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_version(value)  # type: ignore[arg-type]
    assert not is_valid_semver(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1.2.3", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("v1.30", "1.30.0"),
        ("1.30", "1.30.0"),
        ("1", "1.0.0"),
        ("v1", "1.0.0"),
        ("1.2-rc.1", "1.2.0-rc.1"),
        ("01.02.03", "1.2.3"),
        ("v1.30.2", "1.30.2"),
        ("v1.33.0-gke.100", "1.33.0-gke.100"),
        ("v1.34.6-eks-bbe087e", "1.34.6-eks-bbe087e"),
        ("1.2.3+build", "1.2.3+build"),
    ],
)
def test_loose_parse(text: str, canonical: str) -> None:
    version = parse_version(text, strict=False)
    assert str(version) == canonical
    assert version.original == text


@pytest.mark.parametrize("text", ["", "V1.2.3", "1.2.3.4", "1..2", "v", "1.2.3-01", "x", "1.2.3 "])
def test_loose_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid version|empty"):
        parse_version(text, strict=False)


# --------------------------------------------------------------------------- ordering

PRECEDENCE_CHAIN = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1-0",
    "1.0.1",
    "1.1.0",
    "1.10.0",
    "2.0.0-rc.1",
    "2.0.0",
    "10.0.0",
]


@pytest.mark.parametrize(("lower", "higher"), list(zip(PRECEDENCE_CHAIN, PRECEDENCE_CHAIN[1:])))
def test_precedence(lower: str, higher: str) -> None:
    low, high = parse_version(lower), parse_version(higher)
    assert low < high
    assert high > low
    assert low <= high and high >= low
    assert low != high


def test_sorting_follows_precedence() -> None:
    shuffled = sorted(PRECEDENCE_CHAIN, key=lambda text: hash(text) % 97)
    assert [str(v) for v in sorted(parse_version(t) for t in shuffled)] == PRECEDENCE_CHAIN


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("1.0.0-2", "1.0.0-10"),  # numeric identifiers compare numerically
        ("1.0.0-999", "1.0.0-a"),  # numeric identifiers sort below alphanumeric ones
        ("1.0.0-BETA", "1.0.0-alpha"),  # ASCII order: upper case sorts first
        ("1.0.0-alpha", "1.0.0-alpha.0"),  # a longer list wins when the prefix is equal
        ("1.0.0-rc.1", "1.0.0-rc-1"),  # identifier "rc" is a prefix of "rc-1", so sorts first
    ],
)
def test_prerelease_identifier_rules(lower: str, higher: str) -> None:
    assert parse_version(lower) < parse_version(higher)


def test_build_metadata_is_ignored_for_precedence_and_equality() -> None:
    a, b, plain = parse_version("1.0.0+a"), parse_version("1.0.0+b.7"), parse_version("1.0.0")
    assert a == b == plain
    assert hash(a) == hash(b) == hash(plain)
    assert not a < b and not b < a
    assert len({a, b, plain}) == 1
    assert str(a) == "1.0.0+a" and str(b) == "1.0.0+b.7"
    assert parse_version("1.0.0-rc.1+z") < parse_version("1.0.0+a")


def test_version_is_immutable_and_picklable() -> None:
    version = parse_version("v1.2", strict=False)
    with pytest.raises(AttributeError, match="immutable"):
        version.major = 2  # type: ignore[misc]
    restored = pickle.loads(pickle.dumps(version))
    assert restored == version and restored.original == "v1.2"
    assert copy.deepcopy(version).original == "v1.2"
    assert repr(version) == "Version('1.2.0')"


def test_version_constructor_validates() -> None:
    assert str(Version(1, 2, 3, "rc.1", "b")) == "1.2.3-rc.1+b"
    with pytest.raises(ValueError, match="non-negative"):
        Version(-1, 0, 0)
    with pytest.raises(ValueError, match="leading zeros"):
        Version(1, 0, 0, "01")
    with pytest.raises(ValueError, match="ASCII"):
        Version(1, 0, 0, build="a b")


def test_comparing_with_other_types() -> None:
    assert parse_version("1.0.0") != "1.0.0"
    with pytest.raises(TypeError):
        parse_version("1.0.0") < "2.0.0"  # type: ignore[operator]  # noqa: B015


# --------------------------------------------------------------------------- constraints

CONSTRAINT_CASES = [
    # exact and "="
    ("1.2.3", "1.2.3", True),
    ("1.2.3", "1.2.4", False),
    ("=1.2.3", "1.2.3", True),
    ("= 1.2.3", "1.2.3+build", True),
    ("=1.2.3", "1.2.3-rc.1", False),
    ("v1.2.3", "1.2.3", True),
    # "!="
    ("!=1.2.3", "1.2.4", True),
    ("!=1.2.3", "1.2.3", False),
    ("!=1.2.3", "1.2.4-beta", False),  # a release-only constraint never allows prereleases
    ("!=1.x", "1.9.0", False),
    ("!=1.x", "2.0.0", True),
    ("!=1.2.x", "1.3.0", True),
    ("!=1.2.x", "1.2.7", False),
    # ">" and "<"
    (">1.2.3", "1.2.4", True),
    (">1.2.3", "1.2.3", False),
    (">1.2", "1.2.9", False),  # ">1.2" means 1.3.0 or later
    (">1.2", "1.3.0", True),
    (">1", "1.9.9", False),
    (">1", "2.0.0", True),
    ("<1.2.3", "1.2.2", True),
    ("<1.2.3", "1.2.3", False),
    ("<1.2", "1.1.9", True),
    ("<1.2", "1.2.0", False),
    ("<2.0.0", "2.0.0-rc.1", False),
    # ">=", "<=" and their aliases
    (">=1.2.3", "1.2.3", True),
    (">=1.2.3", "1.2.2", False),
    ("=>1.2.3", "1.2.3", True),
    (">= 1.2", "1.2.0", True),
    ("<=1.2.3", "1.2.3", True),
    ("<=1.2.3", "1.2.4", False),
    ("=<1.2.3", "1.2.3", True),
    ("<=1.2", "1.2.9", True),  # "<=1.2" allows all of 1.2.x
    ("<=1.2", "1.3.0", False),
    ("<=2.x", "2.9.9", True),
    ("<=2.x", "3.0.0", False),
    ("<=1.2.x", "0.9.0", True),
    # tilde
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.2.2", False),
    ("~1.2.3", "1.3.0", False),
    ("~>1.2.3", "1.2.5", True),
    ("~1.2", "1.2.0", True),
    ("~1.2", "1.3.0", False),
    ("~1", "1.9.9", True),
    ("~1", "2.0.0", False),
    ("~1.x", "1.4.0", True),
    ("~*", "2.1.1", True),
    ("~0.0.0", "3.4.5", True),
    # caret
    ("^1.2.3", "1.8.9", True),
    ("^1.2.3", "2.0.0", False),
    ("^1.2.3", "1.2.2", False),
    ("^1.2", "1.2.0", True),
    ("^1", "1.99.0", True),
    ("^1.x", "2.0.0", False),
    ("^0.2.3", "0.2.5", True),
    ("^0.2.3", "0.3.0", False),
    ("^0.2", "0.2.9", True),
    ("^0.0.3", "0.0.3", True),
    ("^0.0.3", "0.0.4", False),
    ("^0.0", "0.0.7", True),
    ("^0.0", "0.1.0", False),
    ("^0", "0.9.9", True),
    ("^0", "1.0.0", False),
    ("^0.0.0", "1.2.3", False),
    # wildcards
    ("1.2.x", "1.2.9", True),
    ("1.2.x", "1.3.0", False),
    ("1.2.*", "1.2.0", True),
    ("1.2.X", "1.2.4", True),
    ("1.x", "1.99.0", True),
    ("1.x", "2.0.0", False),
    ("1", "1.5.0", True),
    ("1.2", "1.2.5", True),
    ("1.2", "1.3.0", False),
    ("*", "0.0.1", True),
    ("x", "9.9.9", True),
    ("*", "1.0.0-rc.1", False),
    (">=1.2.x", "1.2.0", True),
    (">=1.2.x", "1.1.9", False),
    # hyphen ranges
    ("1.2 - 1.4.5", "1.2.0", True),
    ("1.2 - 1.4.5", "1.4.5", True),
    ("1.2 - 1.4.5", "1.4.6", False),
    ("1.2 - 1.4.5", "1.1.9", False),
    ("2.3.4 - 4.5", "4.5.9", True),
    ("2.3.4 - 4.5", "4.6.0", False),
    ("1 - 2", "2.9.9", True),
    # AND by space or comma, OR by ||
    (">=1.2 <2.0", "1.9.9", True),
    (">=1.2 <2.0", "2.0.0", False),
    (">=1.2, <2.0", "1.5.0", True),
    (">=1.2,<2.0", "1.1.0", False),
    (">= 1.2 , < 2.0", "1.5.0", True),
    (">=1.2.3, !=1.4.0, <2", "1.4.0", False),
    ("^1.2 || ^3.0", "3.1.0", True),
    ("^1.2 || ^3.0", "2.0.0", False),
    ("^1.2||^3.0", "1.3.0", True),
    ("1.2.3 || 2.0 - 3.0", "2.5.0", True),
    # prereleases: only when the AND group names one
    (">=1.2.3", "1.3.0-beta", False),
    (">=1.2.3-0", "1.3.0-beta", True),
    (">=1.2.3-0", "1.2.3-alpha", True),
    (">=1.2.3-beta", "1.2.3-alpha", False),
    (">=1.2.3-BETA", "1.2.3-alpha", True),  # ASCII order
    ("^1.2.0-alpha.0", "1.2.1-alpha.1", True),
    ("^1.2.0", "1.2.1-alpha.1", False),
    ("~1.2.3-beta.2", "1.2.4-beta.2", True),
    (">=1.0.0-0 <2.0.0", "1.5.0-rc.1", True),  # the whole AND group opts in
    (">=1.0.0-0 <2.0.0", "2.0.0-rc.1", True),  # 2.0.0-rc.1 precedes 2.0.0
    ("<1.0.0-0 || >=3.0.0", "3.1.0-rc.1", False),  # the opt-in is per OR alternative
    (">=1.0.0-0 || >=3.0.0", "3.1.0-rc.1", True),
    ("1.2.3-rc.1", "1.2.3-rc.1", True),
    ("!=1.2.3-rc.1", "1.2.3-rc.2", True),
    ("<2.0.0-0", "2.0.0-rc.1", False),
]


@pytest.mark.parametrize(("constraint", "version", "expected"), CONSTRAINT_CASES)
def test_constraint_allows(constraint: str, version: str, expected: bool) -> None:
    assert parse_constraint(constraint).allows(parse_version(version)) is expected


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        (">=1.2.3", "1.3.0-beta", True),
        ("^1.x", "1.1.1-beta1", True),
        ("*", "1.0.0-rc.1", True),
        ("<2.0.0", "2.0.0-rc.1", True),  # 2.0.0-rc.1 < 2.0.0
        ("~1.2", "1.2.0-rc.1", False),  # still below the range's lower bound 1.2.0
        ("^1.2.3", "2.0.0-rc.1", False),
    ],
)
def test_include_prerelease_is_helm_devel(constraint: str, version: str, expected: bool) -> None:
    assert parse_constraint(constraint).allows(parse_version(version), include_prerelease=True) is expected


@pytest.mark.parametrize(
    ("kube_version_constraint", "kube_version", "expected"),
    [
        (">= 1.27", "v1.30.2", True),
        (">= 1.27", "1.30", True),
        (">= 1.27", "v1.26.9", False),
        # Helm reads the gke/eks suffix as a SemVer prerelease: a release-only constraint fails.
        (">= 1.27", "v1.33.0-gke.100", False),
        (">=1.27.0", "v1.34.6-eks-bbe087e", False),
        (">=1.27.0-0", "v1.33.0-gke.100", True),
        (">=1.27.0-0", "1.33.0-gke.100", True),
        (">=1.27.0-0 <1.34.0-0", "v1.34.6-eks-bbe087e", False),
        (">=1.27.0-0 <1.34.0-0", "v1.33.0-gke.100", True),
        ("~1.33.0-0", "v1.33.0-gke.100", True),
    ],
)
def test_kubernetes_versions_like_helm(kube_version_constraint: str, kube_version: str, expected: bool) -> None:
    constraint = parse_constraint(kube_version_constraint)
    assert constraint.allows(kube_version) is expected
    assert constraint.allows(parse_version(kube_version, strict=False)) is expected


def test_allows_rejects_an_unparseable_string() -> None:
    with pytest.raises(ValueError, match="'v1.x'"):
        parse_constraint(">=1.0").allows("v1.x")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("^1 ||", "empty alternative"),
        ("|| ^1", "empty alternative"),
        (">=", "expected a version"),
        ("abc", "expected a version"),
        (">=1.2 <", "expected a version"),
        (">=1.2,", "expected a version"),
        (">=1.2,,<2", "expected a version"),
        (">=1.2<2.0", "unexpected '<2.0'"),
        ("1.2.3.4", "unexpected '.4'"),
        ("1.2 | 1.3", "at '| 1.3'"),
        (">==1.2", "expected a version"),
        ("1.2.3-", "unexpected '-'"),
        ("1x", "unexpected 'x'"),
        ("1.2.3-01", "leading zeros"),
        (">1.2 - 1.4", "hyphen range cannot start with an operator"),
        ("1.2 - >1.4", "plain version after ' - '"),
        ("1.2 - ", "plain version after ' - '"),
    ],
)
def test_parse_constraint_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match="constraint") as error:
        parse_constraint(text)
    assert reason in str(error.value)
    if text.strip():
        assert repr(text) in str(error.value)


def test_parse_constraint_rejects_non_strings() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_constraint(1.2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        (">= 1.2, < 2.0", ">=1.2 <2.0"),
        ("1.2 - 1.4.5", ">=1.2 <=1.4.5"),
        ("^1.2||~3", "^1.2 || ~3"),
        ("  1.2.x  ", "1.2.x"),
        ("=> v1.0.0-rc.1+b", "=>v1.0.0-rc.1+b"),
    ],
)
def test_constraint_str(text: str, normalised: str) -> None:
    constraint = parse_constraint(text)
    assert str(constraint) == normalised
    assert constraint.text == text
    assert repr(constraint) == f"Constraint({text!r})"
    assert isinstance(constraint, Constraint)


@pytest.mark.parametrize(
    "text",
    [">=1.2 <2.0", ">=1.2.3-0 <1.3 || ^2", "~1.2.x || 3.x", "!=1.2.3 >1"],
)
def test_normalised_text_means_the_same(text: str) -> None:
    original, reparsed = parse_constraint(text), parse_constraint(str(parse_constraint(text)))
    for version in ["1.1.0", "1.2.0", "1.2.3", "1.2.4-rc.1", "1.9.0", "2.0.0", "2.5.0-beta", "3.1.0"]:
        assert original.allows(version) == reparsed.allows(version), version


# --------------------------------------------------------------------------- highest_match

INDEX = ["0.9.0", "1.0.0", "1.2.0", "v1.3", "1.4.0-rc.1", "2.0.0-beta.1", "not-a-version", "", "1.3.1+build"]

# (constraint, include_prerelease (Helm's --devel), the version of INDEX chosen); the rows without
# prereleases are re-checked against the real Helm in tests/interop/test_helm_recorded_tables.py
HIGHEST_MATCH_CASES = [
    ("*", False, "1.3.1+build"),
    ("*", True, "2.0.0-beta.1"),
    ("^1.0", False, "1.3.1+build"),
    ("^1.0", True, "1.4.0-rc.1"),
    ("~1.2", False, "1.2.0"),
    ("<1.0.0", False, "0.9.0"),
    (">=1.4.0-0", False, "2.0.0-beta.1"),
    (">=1.4.0-0 <2.0.0", False, "2.0.0-beta.1"),  # 2.0.0-beta.1 precedes 2.0.0
    (">=1.4.0-0 <2.0.0-0", False, "1.4.0-rc.1"),
    ("1.3", False, "1.3.1+build"),
    ("1.3.0", False, "1.3.0"),
    (">=3", True, None),
]


@pytest.mark.parametrize(("constraint", "include_prerelease", "expected"), HIGHEST_MATCH_CASES)
def test_highest_match(constraint: str, include_prerelease: bool, expected: str | None) -> None:
    found = highest_match(parse_constraint(constraint), INDEX, include_prerelease=include_prerelease)
    assert (str(found) if found else None) == expected


def test_highest_match_keeps_the_original_text_and_accepts_versions() -> None:
    found = highest_match(parse_constraint("1.3.0"), INDEX)
    assert found is not None and found.original == "v1.3"
    versions = [parse_version("1.0.0"), parse_version("1.1.0")]
    assert highest_match(parse_constraint("^1"), iter(versions)) == versions[1]
    assert highest_match(parse_constraint("^1"), []) is None


def test_highest_match_prefers_the_first_of_equal_versions() -> None:
    found = highest_match(parse_constraint("*"), ["1.0.0+a", "1.0.0+b"])
    assert found is not None and found.build == "a"
