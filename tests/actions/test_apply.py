"""Apply and delete ordering: CRDs first, kinds in Helm's order, deletion reversed."""

from __future__ import annotations

from tfhelm.actions.apply import apply_objects, delete_objects, kind_groups
from tfhelm.actions.objects import desired_objects, digest, identity, parse_manifest
from tfhelm.kube import ObjectRef
from tfhelm.kube.fake import FakeKubeClient

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "trainings.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Training", "plural": "trainings"},
             "versions": [{"name": "v1", "served": True, "storage": True}]},
}


def obj(kind, name, api="v1"):
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name}}


def test_crds_go_first_and_custom_resources_get_the_namespace():
    kube = FakeKubeClient()
    objects = desired_objects([obj("ConfigMap", "c"), CRD, obj("Training", "t", "example.com/v1")], release="r",
                              namespace="ml", kube=kube)
    assert [g[0]["kind"] for g in kind_groups(objects)] == ["CustomResourceDefinition", "ConfigMap", "Training"]
    assert objects[2]["metadata"]["namespace"] == "ml" and "namespace" not in objects[1]["metadata"]
    apply_objects(kube, objects)
    assert [w[1].kind for w in kube.writes] == ["CustomResourceDefinition", "ConfigMap", "Training"]


def test_unchanged_objects_are_skipped_only_while_they_exist():
    kube = FakeKubeClient()
    objects = desired_objects([obj("ConfigMap", "a"), obj("ConfigMap", "b")], release="r", namespace="ml", kube=kube)
    apply_objects(kube, objects)
    previous = {identity(o): digest(o) for o in objects}
    kube.delete(ObjectRef("v1", "ConfigMap", "b", "ml"))
    kube.writes.clear()
    result = apply_objects(kube, objects, previous=previous)
    assert [str(r) for r in result.unchanged] == ["ConfigMap/a (namespace ml)"]
    assert kube.writes == [("apply", ObjectRef("v1", "ConfigMap", "b", "ml"))]


def test_delete_runs_in_reverse_install_order():
    kube = FakeKubeClient()
    objects = desired_objects([obj("Namespace", "n"), obj("Secret", "s"), obj("Service", "v"),
                               obj("StatefulSet", "w", "apps/v1")], release="r", namespace="ml", kube=kube)
    apply_objects(kube, objects)
    kube.writes.clear()
    delete_objects(kube, [ObjectRef.of(o) for o in objects])
    assert [w[1].kind for w in kube.writes] == ["StatefulSet", "Service", "Secret", "Namespace"]


def test_identity_ignores_the_api_version():
    assert identity(obj("Ingress", "i", "networking.k8s.io/v1beta1")) == identity(obj("Ingress", "i", "networking.k8s.io/v1"))


def test_parse_manifest_reads_the_template_stream_back():
    text = "---\n# Source: c/templates/a.yaml\nkind: ConfigMap\napiVersion: v1\nmetadata:\n  name: a\n---\n# Source: c/templates/b.yaml\nkind: Secret\napiVersion: v1\nmetadata:\n  name: b\n"
    assert [o["metadata"]["name"] for o in parse_manifest(text)] == ["a", "b"]
