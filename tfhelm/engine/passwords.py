"""Password hashes templates render: argon2id with a random salt, kept while it still matches.

``{{ password | argon2 }}`` gives a PHC string, ``$argon2id$v=19$m=10240,t=10,p=8$<salt>$<hash>``,
with the parameters of jupyter_server's ``passwd()`` (so ``"argon2:" ~ hash`` is what Jupyter
checks). The salt is 16 random bytes: nothing about the hash can be computed ahead of time from the
release, and a guess costs a full argon2 computation per hash.

A random salt makes every render different, which would roll pods and fill diffs on every
upgrade. So ``{{ password | argon2(previous) }}`` returns ``previous`` unchanged when it is an
argon2 hash of ``password`` made with the current parameters (checked with argon2's own verify),
and a new hash otherwise. Within one render the same inputs give the same hash (:class:`Argon2Filter`
remembers them), so a Secret and a checksum of it in another template agree. Each hash costs
about 0.13 s of CPU by design, so a render may make at most :data:`MAX_HASHES` of them (a hostile
chart cannot spend minutes hashing).

>>> hashed = hash_password("correct-horse-battery")         # doctest: +SKIP
>>> hash_password("correct-horse-battery", reuse=hashed) == hashed  # doctest: +SKIP
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_HASHES", "MEMORY_KIB", "PARALLELISM", "TIME_COST", "Argon2Filter", "hash_password", "matches"]

# jupyter_server.auth.passwd(): argon2.PasswordHasher(memory_cost=10240, time_cost=10, parallelism=8)
MEMORY_KIB = 10240
TIME_COST = 10
PARALLELISM = 8
MAX_HASHES = 16  # different (password, reuse) pairs per render


def _hasher() -> Any:
    import argon2  # imported here: only charts that hash a password pay for it

    return argon2.PasswordHasher(memory_cost=MEMORY_KIB, time_cost=TIME_COST, parallelism=PARALLELISM)


def hash_password(password: str, reuse: str = "") -> str:
    """``reuse`` when it is a current argon2id hash of ``password``; otherwise a new one, freshly salted."""
    if reuse and matches(reuse, password):
        return reuse
    return str(_hasher().hash(password))


def matches(hashed: str, password: str) -> bool:
    """Whether ``hashed`` is an argon2 hash of ``password`` with this module's parameters."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    try:
        return bool(hasher.verify(hashed, password)) and not hasher.check_needs_rehash(hashed)
    except (VerificationError, InvalidHashError):
        return False


class Argon2Filter:
    """The ``argon2`` filter of one render: the same password and ``reuse`` give the same hash."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, str], str] = {}

    def __call__(self, password: Any, reuse: Any = "") -> str:
        from tfhelm.errors import TemplateFailure

        # the value is never shown: it is a password
        if not isinstance(password, str) or not password:
            got = "an empty string" if password == "" else f"a value of type {type(password).__name__}"
            raise TemplateFailure(f"argon2: the password must be a non-empty string, not {got}")
        if not isinstance(reuse, str):
            raise TemplateFailure(f"argon2: the hash to reuse must be a string, not {type(reuse).__name__}")
        key = (password, reuse)
        if key not in self._made:
            if len(self._made) >= MAX_HASHES:
                raise TemplateFailure(f"argon2: more than {MAX_HASHES} different passwords hashed in one render")
            self._made[key] = hash_password(password, reuse)
        return self._made[key]
