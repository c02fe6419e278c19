"""Where tfhelm keeps chart-repository settings and caches, and the ``repositories.yaml`` file.

Directories follow the XDG base-directory spec, each overridable for tests and CI:

* config: ``$TFHELM_CONFIG_HOME``, else ``$XDG_CONFIG_HOME/tfhelm``, else ``~/.config/tfhelm``
* cache:  ``$TFHELM_CACHE_HOME``, else ``$XDG_CACHE_HOME/tfhelm``, else ``~/.cache/tfhelm``
* ``repositories.yaml``: ``$TFHELM_REPOSITORY_CONFIG``, else in the config directory
* downloaded indexes: ``repository/<name>-index.yaml`` in the cache directory

``repositories.yaml`` has Helm's shape (``repositories: [{name, url, username, password,
caFile, insecure_skip_tls_verify, pass_credentials_all}]``). It can hold passwords, so it is
always written with mode 0600 inside a 0700 directory, and a password never appears in a
``repr`` or a message. Writers hold a lock file so two ``repo add`` runs cannot lose an entry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tfhelm.chartsource import ChartSource
from tfhelm.errors import RepoError, UsageError

__all__ = [
    "ENV_CACHE_HOME",
    "ENV_CONFIG_HOME",
    "ENV_REPOSITORY_CONFIG",
    "Repository",
    "RepositoryConfig",
    "cache_home",
    "config_home",
    "index_cache_path",
    "load_repositories",
    "locked_repositories",
    "repository_cache_dir",
    "repository_config_path",
    "save_repositories",
    "strip_userinfo",
    "with_credentials",
]

ENV_CONFIG_HOME = "TFHELM_CONFIG_HOME"
ENV_CACHE_HOME = "TFHELM_CACHE_HOME"
ENV_REPOSITORY_CONFIG = "TFHELM_REPOSITORY_CONFIG"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def config_home() -> Path:
    """tfhelm's configuration directory (see the module docstring for the lookup order)."""
    return _xdg_dir(ENV_CONFIG_HOME, "XDG_CONFIG_HOME", ".config")


def cache_home() -> Path:
    """tfhelm's cache directory (see the module docstring for the lookup order)."""
    return _xdg_dir(ENV_CACHE_HOME, "XDG_CACHE_HOME", ".cache")


def _xdg_dir(own_variable: str, xdg_variable: str, default: str) -> Path:
    if os.environ.get(own_variable):
        return Path(os.environ[own_variable])
    base = os.environ.get(xdg_variable)
    # the XDG spec says relative paths in these variables are invalid and must be ignored
    if not base or not os.path.isabs(base):
        base = str(Path.home() / default)
    return Path(base) / "tfhelm"


def repository_config_path() -> Path:
    return Path(os.environ.get(ENV_REPOSITORY_CONFIG) or config_home() / "repositories.yaml")


def repository_cache_dir() -> Path:
    return cache_home() / "repository"


def index_cache_path(name: str) -> Path:
    return repository_cache_dir() / f"{name}-index.yaml"


def strip_userinfo(url: str) -> str:
    """``https://user:secret@host/x`` → ``https://host/x``: the form safe to print."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


@dataclass(frozen=True)
class Repository:
    """One configured chart repository. ``password`` is never part of ``repr``."""

    name: str
    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    insecure_skip_tls_verify: bool = False
    pass_credentials_all: bool = False

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise UsageError(
                f"repository name {self.name!r} is not allowed: use letters, digits, '.', '_' and '-' "
                "(no '/'), starting with a letter or digit"
            )
        scheme = urlsplit(self.url).scheme
        if scheme not in ("http", "https", "file"):
            hint = " (OCI registries need no `repo add`: use oci:// references directly)" if scheme == "oci" else ""
            raise UsageError(
                f"repository URL {strip_userinfo(self.url)!r} must start with http://, https:// or file://{hint}"
            )

    @property
    def source(self) -> ChartSource:
        """How to reach this repository: its credentials and TLS settings."""
        return ChartSource(
            username=self.username,
            password=self.password,
            ca_file=self.ca_file,
            insecure_skip_tls_verify=self.insecure_skip_tls_verify,
            pass_credentials_all=self.pass_credentials_all,
        )

    @property
    def display_url(self) -> str:
        return strip_userinfo(self.url)

    @property
    def index_url(self) -> str:
        return self.url.rstrip("/") + "/index.yaml"

    def to_yaml(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "username": self.username or "",
            "password": self.password or "",
            "caFile": self.ca_file or "",
            "insecure_skip_tls_verify": self.insecure_skip_tls_verify,
            "pass_credentials_all": self.pass_credentials_all,
        }

    @classmethod
    def from_yaml(cls, raw: dict[str, Any], where: str) -> Repository:
        if not isinstance(raw, dict) or not raw.get("name") or not raw.get("url"):
            raise RepoError(f"{where}: every repository needs a name and a url")
        return cls(
            name=str(raw["name"]),
            url=str(raw["url"]),
            username=raw.get("username") or None,
            password=raw.get("password") or None,
            ca_file=raw.get("caFile") or None,
            insecure_skip_tls_verify=bool(raw.get("insecure_skip_tls_verify", False)),
            pass_credentials_all=bool(raw.get("pass_credentials_all", False)),
        )


@dataclass
class RepositoryConfig:
    """The repositories in ``repositories.yaml``, in the order they were added."""

    path: Path
    repositories: list[Repository] = field(default_factory=list)

    def get(self, name: str) -> Repository | None:
        return next((repo for repo in self.repositories if repo.name == name), None)

    def require(self, name: str) -> Repository:
        repo = self.get(name)
        if repo is None:
            known = ", ".join(repo.name for repo in self.repositories) or (
                "none yet; add one with `tfhelm repo add NAME URL`"
            )
            raise RepoError(f"no chart repository named {name!r} (configured: {known})")
        return repo

    def put(self, repo: Repository) -> None:
        """Add ``repo``, or replace the repository of the same name where it stands."""
        for index, existing in enumerate(self.repositories):
            if existing.name == repo.name:
                self.repositories[index] = repo
                return
        self.repositories.append(repo)

    def remove(self, name: str) -> Repository:
        repo = self.require(name)
        self.repositories.remove(repo)
        return repo


def load_repositories(path: Path | None = None) -> RepositoryConfig:
    """Read ``repositories.yaml``; a missing file is an empty configuration."""
    from tfhelm.yamlio import parse_yaml

    path = path or repository_config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return RepositoryConfig(path)
    except OSError as error:
        raise RepoError(f"cannot read {path}: {error.strerror or error}") from None
    raw = parse_yaml(text, file=path, error=RepoError) or {}
    entries = raw.get("repositories") if isinstance(raw, dict) else None
    if not isinstance(entries, (list, type(None))):
        raise RepoError(f"{path}: 'repositories' must be a list")
    return RepositoryConfig(path, [Repository.from_yaml(entry, str(path)) for entry in entries or []])


def save_repositories(config: RepositoryConfig) -> None:
    """Write ``repositories.yaml`` atomically with mode 0600 (it may hold passwords)."""
    from tfhelm.fileio import write_file_atomically
    from tfhelm.yamlio import dump_yaml

    document = {"apiVersion": "", "repositories": [repo.to_yaml() for repo in config.repositories]}
    _private_dir(config.path.parent)
    write_file_atomically(config.path, dump_yaml(document).encode("utf-8"), mode=0o600)


def _private_dir(path: Path) -> None:
    try:
        if not path.exists():
            path.mkdir(parents=True, mode=0o700)
    except OSError as error:
        raise RepoError(f"cannot create {path}: {error.strerror or error}") from None


@contextmanager
def locked_repositories(path: Path | None = None) -> Iterator[RepositoryConfig]:
    """Load ``repositories.yaml`` under an exclusive lock; save it again on a clean exit."""
    import fcntl

    path = path or repository_config_path()
    _private_dir(path.parent)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        config = load_repositories(path)
        before = list(config.repositories)
        yield config
        if config.repositories != before:
            save_repositories(config)


def with_credentials(repo: Repository, username: str | None, password: str | None) -> Repository:
    """``repo`` with credentials moved out of its URL (``https://user:pass@host``) when present."""
    parts = urlsplit(repo.url)
    if "@" not in parts.netloc:
        return replace(repo, username=username or repo.username, password=password or repo.password)
    userinfo, _, host = parts.netloc.rpartition("@")
    url_user, _, url_password = userinfo.partition(":")
    from urllib.parse import unquote

    return replace(
        repo,
        url=urlunsplit(parts._replace(netloc=host)),
        username=username or unquote(url_user) or None,
        password=password or unquote(url_password) or None,
    )
