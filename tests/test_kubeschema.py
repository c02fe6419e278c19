import pytest

from tfhelm.errors import SchemaUnavailable, UnknownKind
from tfhelm.kubeschema import available_versions, check_object, schema_version_for

SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80, "protocol": "TCP"}]}}


def test_versions_cover_1_25_to_newest():
    versions = available_versions()
    assert versions[0] == (1, 25) and versions[-1] >= (1, 37)


def test_newer_kubernetes_uses_newest_schema_older_is_refused():
    newest = available_versions()[-1]
    assert schema_version_for(newest[0], newest[1] + 5) == newest
    with pytest.raises(SchemaUnavailable, match="no Kubernetes schemas for 1.20: available are 1.25 to"):
        schema_version_for(1, 20)


def test_valid_object_has_no_problems():
    assert check_object(SERVICE, 1, 25) == []


def test_every_problem_is_reported_with_its_field_path():
    bad = {**SERVICE, "spec": {"ports": [{"port": "eighty", "protocol": "TCP"}], "clusterIp": "None"}}
    problems = check_object(bad, 1, 30)
    assert [p.path for p in problems] == ["spec", "spec.ports[0].port"]
    assert "'clusterIp' was unexpected" in problems[0].message


def test_unknown_kind_and_removed_api():
    with pytest.raises(UnknownKind):
        check_object({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}, 1, 30)
    with pytest.raises(UnknownKind):
        check_object({"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "p"}}, 1, 30)
