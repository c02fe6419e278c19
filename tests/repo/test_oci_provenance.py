"""Signed charts in a real OCI registry (distribution on 127.0.0.1): ``push`` of a signed package
adds Helm's provenance layer, ``fetch_chart`` with ``ChartSource(verify_keyring=…)`` requires it
and checks the chart with it; an unsigned chart or a provenance layer for other bytes is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from signing import signing_keys  # noqa: F401 - the fixture

from tfhelm.chart.archive import build_chart_archive
from tfhelm.chart.provenance import sign_package
from tfhelm.chartsource import ChartSource
from tfhelm.errors import ProvenanceError
from tfhelm.repo.oci import CHART_LAYER_MEDIA_TYPE, PROVENANCE_LAYER_MEDIA_TYPE, fetch_chart, push_chart
from tfhelm.repo.oci_client import RegistryClient

PLAIN = ChartSource(plain_http=True)


@pytest.fixture(autouse=True)
def registry_config(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "config" / "registry.json"
    monkeypatch.setenv("TFHELM_REGISTRY_CONFIG", str(path))
    return path


def _package(directory: Path, version: str, note: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "Chart.yaml": f"apiVersion: v2\nname: signed\nversion: {version}\n".encode(),
        "values.yaml": f"note: '{note}'\n".encode(),
    }
    path = directory / f"signed-{version}.tgz"
    path.write_bytes(build_chart_archive("signed", files))
    return path


def _layers(registry, repository: str, tag: str) -> list[dict]:
    with RegistryClient(registry.address, plain_http=True) as client:
        body, _ = client.get_manifest(repository, tag, ("application/vnd.oci.image.manifest.v1+json",))
    return json.loads(body)["layers"]


def test_a_signed_package_is_pushed_with_its_provenance_layer_and_verifies(registry, tmp_path, signing_keys):
    package = _package(tmp_path, "1.0.0")
    prov = sign_package(package, key="Chart Signer", keyring=signing_keys["signer"].secring)
    push_chart(package, f"oci://{registry.address}/prov", PLAIN)
    layers = _layers(registry, "prov/signed", "1.0.0")
    media_types = sorted(layer["mediaType"] for layer in layers)
    assert media_types == sorted([CHART_LAYER_MEDIA_TYPE, PROVENANCE_LAYER_MEDIA_TYPE])
    assert [layer["digest"] for layer in layers] == sorted(layer["digest"] for layer in layers)  # Helm's order
    pulled = fetch_chart(
        f"oci://{registry.address}/prov/signed",
        ChartSource("1.0.0", plain_http=True, verify_keyring=signing_keys["signer"].pubring),
    )
    assert pulled.data == package.read_bytes() and pulled.provenance == prov.read_bytes()
    assert pulled.verification is not None and pulled.verification.file_name == "signed-1.0.0.tgz"


def test_verify_refuses_an_unsigned_chart(registry, tmp_path, signing_keys):
    push_chart(_package(tmp_path, "2.0.0"), f"oci://{registry.address}/prov", PLAIN)
    assert [layer["mediaType"] for layer in _layers(registry, "prov/signed", "2.0.0")] == [CHART_LAYER_MEDIA_TYPE]
    with pytest.raises(ProvenanceError, match=r"signed:2.0.0 has no provenance layer .* pushed unsigned"):
        fetch_chart(
            f"oci://{registry.address}/prov/signed",
            ChartSource("2.0.0", plain_http=True, verify_keyring=signing_keys["signer"].pubring),
        )
    pulled = fetch_chart(f"oci://{registry.address}/prov/signed", ChartSource("2.0.0", plain_http=True))
    assert pulled.provenance is None  # without --verify an unsigned chart is fine


def test_verify_refuses_a_provenance_layer_for_other_bytes_or_by_another_key(registry, tmp_path, signing_keys):
    package = _package(tmp_path / "a", "3.0.0")
    sign_package(package, key="Chart Signer", keyring=signing_keys["signer"].secring)
    swapped = _package(tmp_path / "b", "3.0.0", note="swapped")
    (tmp_path / "b" / "signed-3.0.0.tgz.prov").write_bytes((tmp_path / "a" / "signed-3.0.0.tgz.prov").read_bytes())
    push_chart(swapped, f"oci://{registry.address}/prov", PLAIN)
    reference = f"oci://{registry.address}/prov/signed"
    with pytest.raises(ProvenanceError, match="signed-3.0.0.tgz is not the archive that was signed"):
        fetch_chart(reference, ChartSource("3.0.0", plain_http=True, verify_keyring=signing_keys["signer"].pubring))
    with pytest.raises(ProvenanceError, match="which is not in the keyring"):
        fetch_chart(reference, ChartSource("3.0.0", plain_http=True, verify_keyring=signing_keys["stranger"].pubring))
