from tfhelm.engine.manifests import format_manifests, parse_manifests, sort_manifests
from tfhelm.engine.render import RenderedTemplate


def _doc(kind, name):
    return f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n"


def test_split_drops_empty_documents_and_comment_only_ones():
    text = "---\n" + _doc("ConfigMap", "a") + "---\n# just a comment\n---\n\n--- # trailing comment\n" + _doc("Secret", "b")
    manifests = parse_manifests([RenderedTemplate("c", "templates/x.yaml", text)])
    assert [(m.kind, m.name) for m in manifests] == [("ConfigMap", "a"), ("Secret", "b")]


def test_sort_follows_helm_install_order_and_is_stable_within_a_kind():
    kinds = ["Job", "Zebra", "Service", "Alpha", "Namespace", "ConfigMap", "Service", "StatefulSet", "Secret", "CustomResourceDefinition"]
    text = "---\n".join(_doc(kind, f"{kind.lower()}-{i}") for i, kind in enumerate(kinds))
    manifests = sort_manifests(parse_manifests([RenderedTemplate("c", "templates/x.yaml", text)]))
    assert [m.name for m in manifests] == [
        "namespace-4", "secret-8", "configmap-5", "customresourcedefinition-9", "service-2", "service-6",
        "statefulset-7", "job-0", "alpha-3", "zebra-1",
    ]


def test_format_prints_source_comments():
    manifests = parse_manifests([RenderedTemplate("c", "templates/x.yaml", _doc("ConfigMap", "a"))])
    assert format_manifests(manifests) == "---\n# Source: c/templates/x.yaml\n" + _doc("ConfigMap", "a")
