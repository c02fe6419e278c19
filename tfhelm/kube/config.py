"""Finding the cluster like kubectl does: kubeconfig files, contexts, namespaces, in-cluster.

Precedence: ``--kubeconfig FILE``; else every file in ``KUBECONFIG`` (merged, the first file to
define a cluster, user, context or current-context wins, missing files skipped); else
``~/.kube/config``; else the in-cluster service account. ``--kube-context`` picks a context
(default: current-context); the namespace is ``-n``, else the context's (in a pod: the service
account's), else ``default`` — resolved here once (:func:`resolve_namespace`) and nowhere else.
Relative paths in a file (certificates, token files, exec commands) are relative to that file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfhelm.errors import ClusterError, UsageError
from tfhelm.kube.interface import NAMESPACE_RULE, is_namespace

__all__ = ["DEFAULT_NAMESPACE", "KubeSettings", "load_settings", "merge_kubeconfigs", "resolve_namespace"]

DEFAULT_NAMESPACE = "default"

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
_PATH_KEYS = {
    "cluster": ("certificate-authority",),
    "user": ("client-certificate", "client-key", "tokenFile"),
}


@dataclass(frozen=True)
class KubeSettings:
    """One resolved connection: where the server is, who we are, and the namespace to use."""

    server: str
    namespace: str
    context: str
    cluster: dict[str, Any]
    user: dict[str, Any] = field(default_factory=dict)
    source: str = ""


def load_settings(
    *, kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None
) -> KubeSettings:
    """Resolve flags and environment into :class:`KubeSettings` (ClusterError when impossible).

    The namespace is checked here, once, whatever set it: it becomes part of every API path, so
    ``-n ../../x`` must not retarget a request (UsageError for the flag, ClusterError for a file).
    """
    if namespace and not is_namespace(namespace):
        raise UsageError(f"--namespace {namespace!r} is not a valid namespace: {NAMESPACE_RULE}")
    files = _kubeconfig_files(kubeconfig)
    if not files:
        if not _in_cluster():
            raise ClusterError(
                "no Kubernetes configuration found: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config"
            )
        settings = _in_cluster_settings(namespace)
    else:
        merged = merge_kubeconfigs(files)
        settings = _select(merged, context, namespace, source=os.pathsep.join(map(str, files)))
    if not is_namespace(settings.namespace):
        raise ClusterError(
            f"{settings.source}: context {settings.context!r} sets the namespace {settings.namespace!r}, "
            f"which is not a valid namespace: {NAMESPACE_RULE}"
        )
    return settings


def resolve_namespace(flag: str | None, configured: str | None) -> str:
    """The namespace a command works in, as kubectl and Helm choose it: the ``-n`` flag, else
    the one the kubeconfig context (or the in-cluster service account) names, else ``default``.

    >>> resolve_namespace(None, "team"), resolve_namespace("ml", "team"), resolve_namespace(None, None)
    ('team', 'ml', 'default')
    """
    return flag or configured or DEFAULT_NAMESPACE


def _kubeconfig_files(explicit: str | None) -> list[Path]:
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ClusterError(f"kubeconfig {explicit} does not exist")
        return [path]
    listed = os.environ.get("KUBECONFIG", "")
    if listed:
        return [Path(p).expanduser() for p in listed.split(os.pathsep) if p and Path(p).expanduser().is_file()]
    default = Path("~/.kube/config").expanduser()
    return [default] if default.is_file() else []


def merge_kubeconfigs(files: list[Path]) -> dict[str, Any]:
    """Merge kubeconfig files as kubectl does: the first definition of each name wins."""
    merged: dict[str, Any] = {"clusters": {}, "users": {}, "contexts": {}, "current-context": None}
    for path in files:
        document = _load(path)
        for section, key in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
            for name, entry in _entries(document, section, key, path):
                if name not in merged[section]:
                    merged[section][name] = _absolute_paths(key, entry, path.parent)
        current = document.get("current-context")
        if current is not None and not isinstance(current, str):
            raise ClusterError(f"kubeconfig {path}: current-context must be a string")
        if not merged["current-context"] and current:
            merged["current-context"] = current
    return merged


def _entries(document: dict[str, Any], section: str, key: str, path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The named entries of one section, each checked: ``{name: str, <key>: mapping}``."""
    entries = document.get(section) or []
    if not isinstance(entries, list):
        raise ClusterError(f"kubeconfig {path}: {section} must be a list")
    checked = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ClusterError(f"kubeconfig {path}: {section}[{index}] must be a mapping with name and {key}")
        name = entry.get("name")
        if not name:
            continue  # kubectl ignores unnamed entries too
        if not isinstance(name, str):
            raise ClusterError(f"kubeconfig {path}: {section}[{index}].name must be a string")
        body = entry.get(key)
        if body is not None and not isinstance(body, dict):
            raise ClusterError(f"kubeconfig {path}: {section}[{name}].{key} must be a mapping")
        _check_strings(body or {}, f"kubeconfig {path}: {section}[{name}].{key}")
        checked.append((name, dict(body or {})))
    return checked


# Fields read as text; any other type would fail later without naming the file.
_STRING_FIELDS = (
    "server",
    "cluster",
    "user",
    "namespace",
    "token",
    "tokenFile",
    "username",
    "password",
    "certificate-authority",
    "certificate-authority-data",
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
)


def _check_strings(body: dict[str, Any], where: str) -> None:
    for name in _STRING_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            raise ClusterError(f"{where}.{name} must be a string")
    if body.get("exec") is not None and not isinstance(body["exec"], dict):
        raise ClusterError(f"{where}.exec must be a mapping")


def _load(path: Path) -> dict[str, Any]:
    from tfhelm.yamlio import parse_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ClusterError(f"cannot read kubeconfig {path}: {error}") from None
    document = parse_yaml(text, file=f"kubeconfig {path}", error=ClusterError)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ClusterError(f"kubeconfig {path} does not hold a mapping")
    return document


def _absolute_paths(key: str, entry: dict[str, Any], base: Path) -> dict[str, Any]:
    for name in _PATH_KEYS.get(key, ()):
        if isinstance(entry.get(name), str) and entry[name] and not os.path.isabs(entry[name]):
            entry[name] = str(base / entry[name])
    exec_config = entry.get("exec")
    if key == "user" and isinstance(exec_config, dict):
        command = exec_config.get("command")
        # Like client-go: a command with a path separator is relative to the kubeconfig's folder.
        if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
            entry["exec"] = {**exec_config, "command": str(base / command)}
    return entry


def _select(merged: dict[str, Any], context: str | None, namespace: str | None, *, source: str) -> KubeSettings:
    name = context or merged["current-context"]
    if not name:
        raise ClusterError(f"kubeconfig {source} sets no current-context; pass --kube-context")
    chosen = merged["contexts"].get(name)
    if chosen is None:
        known = ", ".join(sorted(merged["contexts"])) or "none"
        raise ClusterError(f"context {name!r} not found in kubeconfig {source} (contexts: {known})")
    cluster = merged["clusters"].get(chosen.get("cluster"))
    if cluster is None or not cluster.get("server"):
        raise ClusterError(f"context {name!r} names cluster {chosen.get('cluster')!r}, which has no server in {source}")
    user_name = chosen.get("user")
    user = merged["users"].get(user_name, {}) if user_name else {}
    return KubeSettings(
        server=cluster["server"].rstrip("/"),
        namespace=resolve_namespace(namespace, chosen.get("namespace")),
        context=name,
        cluster=cluster,
        user=user,
        source=source,
    )


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and (SERVICE_ACCOUNT_DIR / "token").is_file()


def _in_cluster_settings(namespace: str | None) -> KubeSettings:
    host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    host = f"[{host}]" if ":" in host else host
    own_namespace = SERVICE_ACCOUNT_DIR / "namespace"
    return KubeSettings(
        server=f"https://{host}:{port}",
        namespace=resolve_namespace(namespace, own_namespace.read_text().strip() if own_namespace.is_file() else None),
        context="in-cluster",
        cluster={"certificate-authority": str(SERVICE_ACCOUNT_DIR / "ca.crt")},
        user={"tokenFile": str(SERVICE_ACCOUNT_DIR / "token")},
        source="in-cluster service account",
    )
