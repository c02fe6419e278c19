"""previous_object: the previous revision's objects, found in its manifest without asking the cluster."""

from tfhelm.chart import load_chart
from tfhelm.engine import PreviousRevision, ReleaseInfo, render

MANIFEST = """---
# Source: mini/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: pw
data:
  hash: aGFzaA==
---
# Source: mini/templates/other.yaml
apiVersion: v1
kind: Secret
metadata:
  name: pw
  namespace: elsewhere
data:
  hash: b3RoZXI=
---
# Source: mini/templates/broken.yaml
apiVersion: v1
kind: ConfigMap
data: {not yaml
"""


def test_an_object_is_found_by_api_version_kind_name_and_namespace():
    previous = PreviousRevision(MANIFEST, "ns")
    assert previous.find("v1", "Secret", "pw")["data"] == {"hash": "aGFzaA=="}
    assert previous.find("v1", "Secret", "pw", "elsewhere")["data"] == {"hash": "b3RoZXI="}
    assert previous.find("v1", "ConfigMap", "pw") == {}
    assert previous.find("v2", "Secret", "pw") == {}
    assert previous.find("v1", "Secret", "missing") == {}


def test_only_documents_holding_the_name_are_parsed():
    # the broken document does not hold the name asked for: it is never parsed, so no error
    assert PreviousRevision(MANIFEST, "ns").find("v1", "Secret", "pw")["metadata"]["name"] == "pw"


def test_a_template_cannot_change_what_the_next_one_finds():
    previous = PreviousRevision(MANIFEST, "ns")
    previous.find("v1", "Secret", "pw")["data"]["hash"] = "changed"
    assert previous.find("v1", "Secret", "pw")["data"] == {"hash": "aGFzaA=="}


def test_templates_read_it_with_previous_object_and_get_an_empty_map_without_one(chart_dir):
    chart = load_chart(chart_dir({
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n"
                             '  kept: {{ previous_object("v1", "Secret", "pw").get("data", {}).get("hash", "none") | quote }}\n',
    }))
    release = ReleaseInfo("rel", namespace="ns")

    def kept(previous):
        [manifest] = render(chart, {}, release=release, previous=previous).manifests
        return manifest.object["data"]["kept"]

    assert kept(None) == "none"
    assert kept(PreviousRevision(MANIFEST, "ns")) == "aGFzaA=="
