from tfhelm.values.merge import coalesce, merge_maps


def test_maps_merge_deeply_lists_and_scalars_replace():
    defaults = {"jobs": {"ps": {"tasks": 2}, "worker": {"tasks": 4, "env": [1, 2]}}, "port": 8080}
    user = {"jobs": {"worker": {"tasks": 8, "env": [3]}}, "port": 9000}
    assert coalesce(defaults, user) == {
        "jobs": {"ps": {"tasks": 2}, "worker": {"tasks": 8, "env": [3]}},
        "port": 9000,
    }


def test_null_deletes_a_default_key_at_any_depth():
    defaults = {"a": {"b": 1, "c": 2}, "d": 3}
    assert coalesce(defaults, {"a": {"b": None}, "d": None}) == {"a": {"c": 2}}


def test_null_for_a_key_without_default_is_kept_as_helm_does():
    assert coalesce({"a": 1}, {"z": None}) == {"a": 1, "z": None}


def test_user_scalar_replaces_default_table_and_the_reverse():
    assert coalesce({"a": {"b": 1}}, {"a": "flat"}) == {"a": "flat"}
    assert coalesce({"a": "flat"}, {"a": {"b": 1}}) == {"a": {"b": 1}}


def test_coalesce_does_not_mutate_its_inputs():
    defaults = {"a": {"b": [1]}}
    user = {"a": {"c": 2}}
    merged = coalesce(defaults, user)
    merged["a"]["b"].append(9)
    assert defaults == {"a": {"b": [1]}} and user == {"a": {"c": 2}}


def test_merge_maps_keeps_null_so_a_later_coalesce_can_delete():
    user = merge_maps({"a": {"b": 1}}, {"a": {"b": None, "c": 2}})
    assert user == {"a": {"b": None, "c": 2}}
    assert coalesce({"a": {"b": 5, "d": 6}}, user) == {"a": {"c": 2, "d": 6}}
