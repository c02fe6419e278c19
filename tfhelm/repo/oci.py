"""Helm charts in OCI registries: references, push, pull, version resolution over tags.

A chart is stored as Helm stores it, so Helm and registries (Harbor, GHCR, …) treat it as a
Helm chart: an image manifest (``application/vnd.oci.image.manifest.v1+json``) whose config
blob (``application/vnd.cncf.helm.config.v1+json``) is Chart.yaml as JSON and whose one layer
(``application/vnd.cncf.helm.chart.content.v1.tar+gzip``) is the ``.tgz``. Tags are chart
versions with ``+`` written as ``_`` (OCI tags cannot hold ``+``). A signed package
(``NAME-VERSION.tgz.prov`` beside it) is pushed with its provenance file as a second layer
(``application/vnd.cncf.helm.chart.provenance.v1.prov``), layers sorted by digest as Helm does;
a pull with ``verify_keyring`` requires that layer and checks the chart with it.

Unlike Helm's manifest, tfhelm's carries no creation time, so pushing the same package twice
gives the same manifest digest. A pull checks the manifest digest, the layer's digest and
size, the archive's safety, and that the chart inside is the name and version asked for.

    >>> push_chart("tf-cluster-1.4.0.tgz", "oci://registry.example.com/charts")  # doctest: +SKIP
    ('registry.example.com/charts/tf-cluster:1.4.0', 'sha256:…')
    >>> data = pull_chart("oci://registry.example.com/charts/tf-cluster", version="^1.4")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfhelm.chartsource import ChartSource
from tfhelm.errors import RepoError

if TYPE_CHECKING:
    from tfhelm.chart.provenance import Verification

__all__ = [
    "CHART_LAYER_MEDIA_TYPE",
    "CONFIG_MEDIA_TYPE",
    "MANIFEST_MEDIA_TYPE",
    "PROVENANCE_LAYER_MEDIA_TYPE",
    "OciReference",
    "PulledChart",
    "fetch_chart",
    "is_oci_reference",
    "list_chart_versions",
    "parse_reference",
    "pull_chart",
    "push_chart",
    "tag_to_version",
    "version_to_tag",
]

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.cncf.helm.config.v1+json"
CHART_LAYER_MEDIA_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
_LEGACY_CHART_LAYER_MEDIA_TYPE = "application/tar+gzip"  # Helm 3.0-3.7 experimental OCI support
PROVENANCE_LAYER_MEDIA_TYPE = "application/vnd.cncf.helm.chart.provenance.v1.prov"
_SCHEME = "oci://"
_ANYWHERE = ChartSource()  # the newest release, over verified TLS
_REPOSITORY = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# Go's encoding/json order of Helm's chart.Metadata fields, so the config blob reads like Helm's.
_METADATA_ORDER = (
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
)


@dataclass(frozen=True)
class OciReference:
    """``oci://HOST/REPOSITORY[:TAG][@DIGEST]`` taken apart."""

    host: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def chart_name(self) -> str:
        return self.repository.rsplit("/", 1)[-1]

    @property
    def version(self) -> str | None:
        return tag_to_version(self.tag) if self.tag else None

    def with_tag(self, tag: str) -> OciReference:
        return OciReference(self.host, self.repository, tag, self.digest)

    def __str__(self) -> str:
        text = f"{self.host}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


@dataclass(frozen=True)
class PulledChart:
    """A verified chart archive from a registry, with what was resolved to get it."""

    reference: OciReference  # with the tag that was pulled
    version: str
    manifest_digest: str
    data: bytes
    provenance: bytes | None = None  # the .prov layer, when it was verified
    verification: Verification | None = None

    @property
    def digest(self) -> str:
        """sha256 of the archive itself (what Chart.lock and repository indexes record)."""
        from tfhelm.repo.oci_client import sha256_digest

        return sha256_digest(self.data)


def is_oci_reference(text: str) -> bool:
    return text.startswith(_SCHEME)


def version_to_tag(version: str) -> str:
    """``1.2.3+build.5`` → ``1.2.3_build.5``, as Helm writes chart versions as tags."""
    return version.replace("+", "_")


def tag_to_version(tag: str) -> str:
    return tag.replace("_", "+")


def parse_reference(text: str) -> OciReference:
    """Parse ``oci://host[:port]/path/chart[:tag][@sha256:…]``; raise RepoError when malformed."""
    if not is_oci_reference(text):
        raise RepoError(f"{text!r} is not an OCI reference (it must start with {_SCHEME})")
    rest, at, digest = text[len(_SCHEME) :].partition("@")
    host, slash, path = rest.partition("/")
    name, colon, tag = path.rpartition(":") if ":" in path.rsplit("/", 1)[-1] else (path, "", "")
    tag = version_to_tag(tag)  # oci://host/chart:1.2.3+build means the tag 1.2.3_build
    problem = _reference_problem(host, slash and name, tag if colon else None, digest if at else None)
    if problem:
        raise RepoError(f"invalid OCI reference {text!r}: {problem}")
    return OciReference(host.lower(), name, tag or None, digest or None)


def _reference_problem(host: str, name: str, tag: str | None, digest: str | None) -> str | None:
    if not host or not re.fullmatch(r"[A-Za-z0-9.-]+(:[0-9]+)?|\[[0-9a-fA-F:]+\](:[0-9]+)?", host):
        return "expected oci://HOST[:PORT]/PATH"
    if not name:
        return "expected oci://HOST[:PORT]/PATH (the path is missing)"
    if not _REPOSITORY.fullmatch(name):
        return f"the path {name!r} is not a valid repository name (lower-case letters, digits, '.', '_', '-', '/')"
    if tag is not None and not _TAG.fullmatch(tag):
        return f"the tag {tag!r} is not a valid tag (letters, digits, '_', '.', '-'; at most 128)"
    if digest is not None and not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        return f"the digest {digest!r} is not sha256:<64 hex digits>"
    return None


# --------------------------------------------------------------------------- push


def push_chart(
    archive_path: str | Path, destination: str, source: ChartSource = _ANYWHERE, *, transport: Any = None
) -> tuple[str, str]:
    """Push a packaged chart to ``oci://HOST/PATH`` (the chart's name and version are appended).

    ``source`` says how to reach the registry (plain HTTP, TLS); its version fields are unused.

    Returns the pushed reference (``HOST/PATH/NAME:TAG``) and the manifest digest.
    """
    archive_path = Path(archive_path)
    data = _read_archive_file(archive_path)
    metadata = _chart_metadata(data, str(archive_path))
    target = parse_reference(destination.rstrip("/"))
    if target.tag or target.digest:
        raise RepoError(
            f"push to {destination!r}: give the registry path without a tag; "
            f"the chart's version ({metadata['version']}) becomes the tag"
        )
    reference = OciReference(
        target.host, f"{target.repository}/{metadata['name']}", version_to_tag(metadata["version"])
    )
    config = _config_json(metadata)
    provenance = _provenance_beside(archive_path)
    with _client(reference.host, source, transport) as client:
        config_digest = client.push_blob(reference.repository, config)
        layers = [(CHART_LAYER_MEDIA_TYPE, client.push_blob(reference.repository, data), len(data))]
        if provenance is not None:
            layers.append(
                (PROVENANCE_LAYER_MEDIA_TYPE, client.push_blob(reference.repository, provenance), len(provenance))
            )
        manifest = _manifest_json(metadata, (config_digest, len(config)), layers)
        digest = client.put_manifest(reference.repository, reference.tag or "", manifest, MANIFEST_MEDIA_TYPE)
    return str(reference), digest


def _provenance_beside(archive_path: Path) -> bytes | None:
    """``ARCHIVE.prov`` when the package was signed (Helm pushes it too), else None."""
    from tfhelm.chart.provenance import MAX_PROVENANCE_BYTES, provenance_path

    path = provenance_path(archive_path)
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_PROVENANCE_BYTES:
        raise RepoError(f"{path}: larger than {MAX_PROVENANCE_BYTES:,} bytes; not a provenance file")
    return path.read_bytes()


def _read_archive_file(path: Path) -> bytes:
    if not path.is_file():
        raise RepoError(f"{path}: no such chart archive (push takes a .tgz made by `tfhelm package`)")
    return path.read_bytes()


def _chart_metadata(
    data: bytes, source: str, *, expected_name: str | None = None, expected_version: str | None = None
) -> dict[str, Any]:
    """Chart.yaml of an archive, after the archive passed every safety check."""
    from tfhelm.chart.archive import read_chart_archive_bytes
    from tfhelm.chart.loader import chart_from_files

    files = read_chart_archive_bytes(
        data, source=source, expected_name=expected_name, expected_version=expected_version
    )
    return dict(chart_from_files(files, source=source).metadata.raw)


def _config_json(metadata: dict[str, Any]) -> bytes:
    ordered = {key: metadata[key] for key in _METADATA_ORDER if key in metadata}
    ordered.update({key: value for key, value in metadata.items() if key not in ordered})
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def _manifest_json(metadata: dict[str, Any], config: tuple[str, int], layers: list[tuple[str, str, int]]) -> bytes:
    annotations = {
        "org.opencontainers.image.description": metadata.get("description"),
        "org.opencontainers.image.title": metadata["name"],
        "org.opencontainers.image.url": metadata.get("home"),
        "org.opencontainers.image.version": metadata["version"],
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": config[0], "size": config[1]},
        "layers": [
            {"mediaType": media_type, "digest": digest, "size": size}
            for media_type, digest, size in sorted(layers, key=lambda layer: layer[1])
        ],
        "annotations": {key: value for key, value in annotations.items() if isinstance(value, str) and value},
    }
    return json.dumps(manifest, separators=(",", ":"), sort_keys=False).encode("utf-8")


# --------------------------------------------------------------------------- pull


def pull_chart(reference: str, source: ChartSource = _ANYWHERE, *, transport: Any = None) -> bytes:
    """The verified ``.tgz`` of a chart: ``oci://HOST/PATH/CHART`` with ``source.version`` (a
    version or a constraint; newest release when omitted) or ``oci://HOST/PATH/CHART:1.2.3``."""
    return fetch_chart(reference, source, transport=transport).data


def fetch_chart(reference: str, source: ChartSource = _ANYWHERE, *, transport: Any = None) -> PulledChart:
    """Like :func:`pull_chart`, also returning the resolved version and the digests. With
    ``source.verify_keyring``, the chart's provenance layer must exist and verify against that keyring."""
    parsed = parse_reference(reference)
    verify_keyring = source.verify_keyring
    with _client(parsed.host, source, transport) as client:
        resolved = _resolve(client, parsed, source.version, source.devel)
        manifest_digest, layer, prov_layer = _read_chart_manifest(client, resolved)
        data = client.get_blob(resolved.repository, layer)
        provenance = _provenance_layer(client, resolved, prov_layer) if verify_keyring is not None else None
    metadata = _chart_metadata(
        data, str(resolved), expected_name=resolved.chart_name, expected_version=resolved.version
    )
    pulled = PulledChart(resolved, metadata["version"], manifest_digest, data)
    if verify_keyring is None or provenance is None:
        return pulled
    from tfhelm.chart.archive import archive_file_name
    from tfhelm.chart.provenance import verify_package_bytes

    # Helm names an OCI chart NAME-VERSION.tgz when it checks the signed file name
    file_name = archive_file_name(metadata["name"], metadata["version"])
    verification = verify_package_bytes(data, file_name, provenance, keyring=verify_keyring, source=f"{resolved}.prov")
    return PulledChart(resolved, pulled.version, manifest_digest, data, provenance, verification)


def _provenance_layer(client, reference: OciReference, layer) -> bytes:
    from tfhelm.chart.provenance import MAX_PROVENANCE_BYTES
    from tfhelm.errors import ProvenanceError

    if layer is None:
        raise ProvenanceError(
            f"{reference} has no provenance layer ({PROVENANCE_LAYER_MEDIA_TYPE}): the chart was pushed unsigned, "
            "so it cannot be verified"
        )
    return client.get_blob(reference.repository, layer, limit=MAX_PROVENANCE_BYTES)


def list_chart_versions(reference: str, source: ChartSource = _ANYWHERE, *, transport: Any = None) -> list[str]:
    """The chart versions a registry holds (its tags with ``_`` back to ``+``), newest first."""
    parsed = parse_reference(reference)
    with _client(parsed.host, source, transport) as client:
        return _sorted_versions(client.list_tags(parsed.repository))


def _resolve(client, reference: OciReference, version: str | None, devel: bool) -> OciReference:
    """Pick the tag to pull: the one in the reference, an exact version, or the best match."""
    if reference.digest:
        return reference
    if reference.tag:
        if version and not _same_version(version, reference.version or ""):
            raise RepoError(f"{reference} names version {reference.version}, but --version asks for {version!r}")
        return reference
    from tfhelm.versions import highest_match, is_valid_semver, parse_constraint

    if version and is_valid_semver(version):
        return reference.with_tag(version_to_tag(version))  # Helm pulls an exact version directly
    try:
        constraint = parse_constraint(version or "*")
    except ValueError as error:
        raise RepoError(f"--version {version!r}: {error}") from None
    versions = _sorted_versions(client.list_tags(reference.repository))
    best = highest_match(constraint, versions, include_prerelease=devel)
    if best is None:
        wanted = f"matches {version!r}" if version else "is a release (use --devel for prereleases)"
        available = ", ".join(versions) if versions else "none"
        raise RepoError(f"no version of {reference} {wanted}; versions in the registry: {available}")
    return reference.with_tag(version_to_tag(best.original))


def _same_version(wanted: str, tag_version: str) -> bool:
    from tfhelm.versions import parse_constraint

    if wanted == tag_version:
        return True
    try:
        return parse_constraint(wanted).allows(tag_version, include_prerelease=True)
    except ValueError:
        return False


def _sorted_versions(tags: list[str]) -> list[str]:
    from tfhelm.versions import parse_version

    versions = []
    for tag in tags:
        try:
            versions.append(parse_version(tag_to_version(tag), strict=False))
        except ValueError:
            continue  # a tag that is not a version (latest, a digest tag, …) is not a chart version
    return [version.original for version in sorted(versions, reverse=True)]


def _read_chart_manifest(client, reference: OciReference):
    from tfhelm.repo.oci_client import Descriptor

    body, digest = client.get_manifest(
        reference.repository, reference.digest or reference.tag or "latest", (MANIFEST_MEDIA_TYPE,)
    )
    try:
        manifest = json.loads(body)
    except ValueError:
        manifest = None
    where = f"manifest of {reference}"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("layers"), list):
        raise RepoError(f"the {where} is not an OCI image manifest")
    config = Descriptor.from_json(manifest.get("config"), where)
    if config.media_type != CONFIG_MEDIA_TYPE:
        raise RepoError(f"{reference} is not a Helm chart (its config media type is {config.media_type})")
    layers = [Descriptor.from_json(layer, where) for layer in manifest["layers"]]
    charts = [layer for layer in layers if layer.media_type in (CHART_LAYER_MEDIA_TYPE, _LEGACY_CHART_LAYER_MEDIA_TYPE)]
    if len(charts) != 1:
        raise RepoError(f"the {where} has {len(charts)} chart layers; a Helm chart has exactly one")
    provenances = [layer for layer in layers if layer.media_type == PROVENANCE_LAYER_MEDIA_TYPE]
    if len(provenances) > 1:
        raise RepoError(f"the {where} has {len(provenances)} provenance layers; a Helm chart has at most one")
    return digest, charts[0], (provenances[0] if provenances else None)


def _client(host: str, source: ChartSource, transport: Any):
    """A registry client with the stored login (and the connection settings it was made with)."""
    from tfhelm.repo.oci_client import RegistryClient
    from tfhelm.repo.registry_auth import load_login

    login = load_login(host)
    return RegistryClient(
        host,
        login=login,
        plain_http=source.plain_http or bool(login and login.plain_http),
        insecure_skip_tls_verify=source.insecure_skip_tls_verify or bool(login and login.insecure_skip_tls_verify),
        ca_file=source.ca_file,
        transport=transport,
    )
