"""Credentials for the HTTP transport: TLS context, bearer tokens, client certificates, exec plugins.

lightkube supplies the TLS and static-credential handling; exec credential plugins (GKE's
``gke-gcloud-auth-plugin``, EKS's ``aws eks get-token``) are handled here so every ExecCredential
API version works, ``KUBERNETES_EXEC_INFO`` is passed, and tokens are cached until they expire.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import ssl
import subprocess
import threading
from collections.abc import Generator
from typing import Any

import httpx2 as httpx

from tfhelm.errors import ClusterError
from tfhelm.kube.config import KubeSettings

__all__ = ["ExecCredentialAuth", "http_auth", "ssl_context"]

_EXEC_API_VERSIONS = (
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
    "client.authentication.k8s.io/v1alpha1",
)


def ssl_context(settings: KubeSettings) -> ssl.SSLContext:
    """Server verification (CA file/data or skip) plus the user's client certificate, if any."""
    import msgspec
    from lightkube.config.client_adapter import verify_cluster
    from lightkube.config.models import Cluster, User

    static_user = {k: v for k, v in settings.user.items() if k not in ("exec", "auth-provider")}
    try:
        return verify_cluster(msgspec.convert(settings.cluster, Cluster), msgspec.convert(static_user, User), str)
    except (OSError, ValueError, msgspec.ValidationError) as error:
        raise ClusterError(f"kubeconfig context {settings.context!r}: bad TLS settings: {error}") from None


def http_auth(settings: KubeSettings) -> httpx.Auth | None:
    """The request authenticator for the user: token, token file, exec plugin or basic auth."""
    user = settings.user
    if isinstance(user.get("exec"), dict):
        return ExecCredentialAuth(
            user["exec"], cluster=settings.cluster, server=settings.server, context=settings.context
        )
    if user.get("auth-provider"):
        provider = user["auth-provider"].get("name", "?") if isinstance(user["auth-provider"], dict) else "?"
        raise ClusterError(
            f"kubeconfig user of context {settings.context!r} uses auth-provider {provider!r}, which is "
            "no longer supported by Kubernetes clients; use its exec plugin (e.g. gke-gcloud-auth-plugin)"
        )
    from lightkube.config.client_adapter import BearerAuth, BearerTokenFileAuth

    if user.get("tokenFile"):
        return BearerTokenFileAuth(user["tokenFile"])
    if user.get("token"):
        return BearerAuth(user["token"])
    if user.get("username") and user.get("password"):
        return httpx.BasicAuth(user["username"], user["password"])
    return None


class ExecCredentialAuth(httpx.Auth):
    """Runs the kubeconfig's exec plugin for a bearer token; re-runs on expiry or a 401."""

    def __init__(self, config: dict[str, Any], *, cluster: dict[str, Any], server: str, context: str = ""):
        _check_exec_config(config, f"kubeconfig user of context {context!r}" if context else "kubeconfig user")
        self.config = config
        self.cluster = cluster
        self.server = server
        self._token: str | None = None
        self._expires: dt.datetime | None = None
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.token(refresh=True)}"
            yield request

    def token(self, *, refresh: bool = False) -> str:
        with self._lock:
            now = dt.datetime.now(dt.UTC)
            if refresh or self._token is None or (self._expires is not None and now >= self._expires):
                self._token, self._expires = self._run()
            return self._token

    def _run(self) -> tuple[str, dt.datetime | None]:
        command = [self.config.get("command") or "", *(self.config.get("args") or [])]
        api_version = self.config.get("apiVersion") or "client.authentication.k8s.io/v1beta1"
        if api_version not in _EXEC_API_VERSIONS:
            raise ClusterError(f"exec plugin {command[0]}: unsupported apiVersion {api_version}")
        try:
            done = subprocess.run(
                command, env=self._environment(api_version), capture_output=True, timeout=60, check=False
            )
        except FileNotFoundError:
            hint = self.config.get("installHint")
            raise ClusterError(
                f"exec credential plugin {command[0]!r} not found" + (f": {hint.strip()}" if hint else "")
            ) from None
        except subprocess.TimeoutExpired:
            raise ClusterError(f"exec credential plugin {command[0]!r} did not answer within 60s") from None
        if done.returncode != 0:
            last = (done.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
            raise ClusterError(f"exec credential plugin {command[0]!r} failed (exit {done.returncode}): {last}")
        return _parse_credential(done.stdout, command[0])

    def _environment(self, api_version: str) -> dict[str, str]:
        environment = dict(os.environ)
        for item in self.config.get("env") or []:
            environment[item["name"]] = item.get("value", "")
        spec: dict[str, Any] = {"interactive": False}
        if self.config.get("provideClusterInfo"):
            spec["cluster"] = {
                "server": self.server,
                "certificate-authority-data": self.cluster.get("certificate-authority-data"),
                "insecure-skip-tls-verify": bool(self.cluster.get("insecure-skip-tls-verify")),
            }
        environment["KUBERNETES_EXEC_INFO"] = json.dumps(
            {"apiVersion": api_version, "kind": "ExecCredential", "spec": spec}
        )
        return environment


def _check_exec_config(config: dict[str, Any], where: str) -> None:
    """Refuse an exec section whose fields have the wrong shape, before anything runs."""
    if not isinstance(config.get("command"), str) or not config["command"]:
        raise ClusterError(f"{where}: exec.command must be a non-empty string")
    args = config.get("args")
    if args is not None and not (isinstance(args, list) and all(isinstance(a, str) for a in args)):
        raise ClusterError(f"{where}: exec.args must be a list of strings")
    env = config.get("env")
    if env is not None and not isinstance(env, list):
        raise ClusterError(f"{where}: exec.env must be a list of {{name, value}} mappings")
    for index, item in enumerate(env or []):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and item["name"]
            and isinstance(item.get("value", ""), str)
        ):
            raise ClusterError(f"{where}: exec.env[{index}] must be a mapping with a string name and value")
    for name in ("apiVersion", "installHint"):
        if config.get(name) is not None and not isinstance(config[name], str):
            raise ClusterError(f"{where}: exec.{name} must be a string")


def _parse_credential(output: bytes, command: str) -> tuple[str, dt.datetime | None]:
    try:
        status = json.loads(output)["status"]
        token = status["token"]
        if not isinstance(token, str) or not isinstance(status, dict):
            raise TypeError(token)
    except (ValueError, KeyError, TypeError):
        raise ClusterError(
            f"exec credential plugin {command!r} did not print an ExecCredential with status.token"
        ) from None
    expires = status.get("expirationTimestamp")
    if not expires:
        return token, None
    try:
        moment = dt.datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
    except ValueError:
        return token, None
    return token, moment - dt.timedelta(seconds=10)
