"""Secret values never appear in a diff, not even through kubectl's last-applied annotation."""

import json

from tfhelm.actions.diff import mask_secrets


def _secret(data, note=None):
    metadata = {"name": "s", "annotations": {"team": "ml"}}
    if note is not None:
        metadata["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = note
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "data": data}


def test_data_values_are_masked_and_changes_marked():
    before, after = mask_secrets(_secret({"pw": "b2xk"}), _secret({"pw": "bmV3"}))
    assert before["data"]["pw"] == "(masked, 4 chars, old value)"
    assert after["data"]["pw"] == "(masked, 4 chars, new value)"


def test_last_applied_configuration_of_a_secret_is_masked():
    note = json.dumps({"data": {"pw": "c3VwZXJzZWNyZXQ="}, "stringData": {"token": "PLAINTOKEN"}})
    before, after = mask_secrets(_secret({"pw": "c3VwZXJzZWNyZXQ="}, note), _secret({"pw": "c3VwZXJzZWNyZXQ="}))
    text = json.dumps([before, after])
    assert "PLAINTOKEN" not in text and "c3VwZXJzZWNyZXQ=" not in text
    assert before["metadata"]["annotations"]["team"] == "ml"


def test_other_kinds_are_untouched():
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    assert mask_secrets(config_map, config_map) == (config_map, config_map)
