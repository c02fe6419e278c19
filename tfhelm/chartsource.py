"""Where a chart comes from and how to reach it: the one type every chart-fetching verb takes.

Helm calls it ``ChartPathOptions``. The CLI declares its flags once (``cli/options.py``) and
builds one :class:`ChartSource` per command; the actions pass it down unchanged to
:mod:`tfhelm.repo.oci`, :mod:`tfhelm.repo.dependencies` and ``repo add``.

>>> ChartSource(version="^1.4", plain_http=True)
ChartSource(version='^1.4', devel=False, plain_http=True, insecure_skip_tls_verify=False, ca_file=None, \
username=None, pass_credentials_all=False, verify_keyring=None)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ChartSource"]


@dataclass(frozen=True)
class ChartSource:
    """How to pick and fetch a chart: which version, and how to reach its repository or registry.

    A local directory or archive is what it is and ignores all of this. ``REPO/CHART`` uses
    ``version`` and ``devel``; the repository's own TLS settings and credentials are the ones
    stored by ``tfhelm repo add`` (which takes them from here). ``oci://`` charts use every field
    but the credentials, which come from ``tfhelm registry login``.

    ``verify_keyring`` (``--verify``) asks for the chart's signature: the package must come with a
    ``.prov`` file (beside a local ``.tgz``, ``URL.prov`` in a repository, a layer in a registry)
    that verifies against this keyring. A chart directory cannot be verified and is then refused.
    """

    version: str | None = None  # a version or a constraint such as ^1.2 (newest release when None)
    devel: bool = False  # allow prerelease versions
    plain_http: bool = False  # talk plain HTTP to an OCI registry
    insecure_skip_tls_verify: bool = False
    ca_file: str | None = None  # verify the server's certificate with this CA bundle
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a repr, a log or a traceback
    pass_credentials_all: bool = False  # send the credentials to chart URLs on other hosts too
    verify_keyring: Path | None = None  # --verify: the chart's .prov must verify against this keyring
