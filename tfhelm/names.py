"""What a release may be called: Helm's rule, checked by every command that takes a release name.

A release name becomes part of Secret names (``sh.tfhelm.release.v1.<name>.v1``), label values
and the names templates give objects, so it must be a DNS-1123 subdomain of at most 53
characters, exactly as Helm's ``chartutil.ValidateReleaseName`` requires. The check lives at the
top of the package so every layer may use it (``template`` must not import the release layer):
:class:`~tfhelm.release.storage.Storage` and the lease lock apply it to every name they are
given, and ``template`` (which stores nothing) calls it directly.
"""

from __future__ import annotations

import re

from tfhelm.errors import UsageError

__all__ = ["MAX_RELEASE_NAME", "check_release_name"]

MAX_RELEASE_NAME = 53
_RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def check_release_name(name: object) -> str:
    """``name`` if it is a valid release name, else :class:`UsageError` saying what is allowed.

    >>> check_release_name("tf-demo.v2")
    'tf-demo.v2'
    """
    if not isinstance(name, str) or len(name) > MAX_RELEASE_NAME or not _RELEASE_NAME.fullmatch(name):
        shown = repr(name) if not isinstance(name, str) or len(name) <= 80 else repr(name[:80]) + "…"
        raise UsageError(
            f"invalid release name {shown}: use at most {MAX_RELEASE_NAME} lower-case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit"
        )
    return name
