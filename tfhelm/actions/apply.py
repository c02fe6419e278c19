"""Sending objects to the cluster in Helm's order, one kind at a time, each kind in parallel.

CustomResourceDefinitions go first and are waited for until Established, so the custom
resources after them can be applied. Objects whose digest equals the last revision's and
that still exist are not sent at all: a no-op upgrade writes nothing. Given the last revision's
digests, one name listing per kind also tells which applied objects were created and which
changed (:class:`ApplyCounts`). Deletion runs in the
reverse order and skips objects annotated ``tfhelm.io/resource-policy: keep`` (or Helm's
``helm.sh/resource-policy: keep``); given an owner,
it deletes only objects whose live annotations name that release, with the resourceVersion it
read as a precondition. ``before_batch`` runs before each kind's writes (the release lock
checks there that it is still held).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tfhelm.actions.objects import describe_owner, digest, identity, is_owned_by
from tfhelm.errors import ClusterError, NotFoundError, PreconditionError
from tfhelm.kube import KubeClient, ObjectRef
from tfhelm.kube.readiness import readiness

__all__ = [
    "ApplyCounts",
    "ApplyResult",
    "all_exist",
    "apply_objects",
    "delete_objects",
    "kind_groups",
    "wait_established",
]

POOL_SIZE = 16
CRD_TIMEOUT = 60.0


@dataclass(frozen=True)
class ApplyCounts:
    """How many objects an apply created, changed (sent again), left alone and deleted."""

    created: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created:,} created, {self.changed:,} changed, {self.unchanged:,} unchanged, "
            f"{self.deleted:,} deleted"
        )


@dataclass
class ApplyResult:
    applied: list[ObjectRef] = field(default_factory=list)
    unchanged: list[ObjectRef] = field(default_factory=list)
    live: dict[str, dict[str, Any]] = field(default_factory=dict)  # identity -> object the server returned
    created: list[ObjectRef] = field(default_factory=list)  # applied and new (known when previous was given)
    deleted: list[ObjectRef] = field(default_factory=list)  # filled by the caller's cleanup

    def counts(self) -> ApplyCounts:
        return ApplyCounts(
            created=len(self.created),
            changed=len(self.applied) - len(self.created),
            unchanged=len(self.unchanged),
            deleted=len(self.deleted),
        )


def kind_groups(objects: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive objects of one kind (the input is already in install order), CRDs first."""
    ordered = sorted(objects, key=lambda o: o["kind"] != "CustomResourceDefinition")
    return [list(group) for _, group in itertools.groupby(ordered, key=lambda o: o["kind"])]


def apply_objects(
    kube: KubeClient,
    objects: list[dict[str, Any]],
    *,
    previous: dict[str, str] | None = None,
    force: bool = False,
    dry_run: bool = False,
    on_applied: Callable[[ObjectRef], None] | None = None,
    before_batch: Callable[[str], None] | None = None,
    result: ApplyResult | None = None,
) -> ApplyResult:
    """Apply ``objects``; skip those whose digest is in ``previous`` and that still exist.

    With ``previous`` (even empty), the result also says which applied objects are new.
    ``result`` (filled as objects are applied) tells a caller what the apply reached even when
    it raised."""
    result = result if result is not None else ApplyResult()
    counting = previous is not None and not dry_run
    previous = previous or {}
    with ThreadPoolExecutor(max_workers=POOL_SIZE) as pool:
        for group in kind_groups(objects):
            same = {identity(o) for o in group if previous.get(identity(o)) == digest(o)} if not dry_run else set()
            existing = _existing(kube, group) if same or counting else set()
            unchanged = same & existing
            todo = [o for o in group if identity(o) not in unchanged]
            result.unchanged += [ObjectRef.of(o) for o in group if identity(o) in unchanged]
            if todo and before_batch and not dry_run:
                before_batch(f"applying {len(todo)} {group[0]['kind']}")
            outcomes = _run(pool, lambda o: kube.apply(o, force=force, dry_run=dry_run), todo)
            for obj, (live, error) in zip(todo, outcomes, strict=True):
                if error is None:
                    result.applied.append(ObjectRef.of(obj))
                    if counting and identity(obj) not in existing:
                        result.created.append(ObjectRef.of(obj))
                    result.live[identity(obj)] = live
                    if on_applied:
                        on_applied(ObjectRef.of(obj))
            _raise_first(outcomes)
            if group[0]["kind"] == "CustomResourceDefinition" and todo and not dry_run:
                wait_established(kube, [ObjectRef.of(o) for o in todo])
    return result


def _run(
    pool: ThreadPoolExecutor, call: Callable[[Any], Any], items: list[Any]
) -> list[tuple[Any, BaseException | None]]:
    """Run ``call`` on every item; returns (result, error) per item, in item order."""
    if len(items) == 1:
        try:
            return [(call(items[0]), None)]
        except Exception as error:  # noqa: BLE001 - handed back to the caller, raised there
            return [(None, error)]
    futures = [pool.submit(call, item) for item in items]
    return [(None, f.exception()) if f.exception() is not None else (f.result(), None) for f in futures]


def _raise_first(outcomes: list[tuple[Any, BaseException | None]]) -> None:
    for _, error in outcomes:
        if error is not None:
            raise error


def _existing(kube: KubeClient, group: list[dict[str, Any]]) -> set[str]:
    """Identities of the objects of a kind group's kind that exist (one listing per namespace)."""
    first = group[0]
    namespaces = {o["metadata"].get("namespace") for o in group}
    existing: set[str] = set()
    for namespace in namespaces:
        try:
            names = kube.names(first["apiVersion"], first["kind"], namespace)
        except NotFoundError:  # a kind whose CRD this apply has only just created: none exist yet
            continue
        existing |= {identity(ObjectRef(first["apiVersion"], first["kind"], name, namespace)) for name in names}
    return existing


def all_exist(kube: KubeClient, refs: list[ObjectRef]) -> bool:
    """Whether every object exists (one metadata-only list per kind and namespace)."""
    wanted: dict[tuple[str, str, str | None], set[str]] = {}
    for r in refs:
        wanted.setdefault((r.api_version, r.kind, r.namespace), set()).add(r.name)
    return all(
        names <= kube.names(api_version, kind, namespace) for (api_version, kind, namespace), names in wanted.items()
    )


def wait_established(kube: KubeClient, crds: list[ObjectRef]) -> None:
    """Wait until every CRD of ``crds`` is Established (a ClusterError after ``CRD_TIMEOUT``)."""
    deadline = time.monotonic() + CRD_TIMEOUT
    pending = list(crds)
    while pending:
        pending = [crd for crd in pending if not readiness(kube.get(crd)).ready]
        if not pending:
            return
        if time.monotonic() > deadline:
            names = ", ".join(str(crd) for crd in pending)
            raise ClusterError(f"CustomResourceDefinitions not Established after {CRD_TIMEOUT:.0f}s: {names}")
        time.sleep(0.2)


def delete_objects(
    kube: KubeClient,
    refs: list[ObjectRef],
    *,
    on_deleted: Callable[[ObjectRef], None] | None = None,
    owner: tuple[str, str] | None = None,
    on_skipped: Callable[[ObjectRef, str], None] | None = None,
    before_batch: Callable[[str], None] | None = None,
) -> list[ObjectRef]:
    """Delete in reverse install order, one kind at a time (each in parallel); returns those deleted.

    With ``owner`` (release name, namespace), an object whose live annotations name another
    release, or none, is left alone and reported to ``on_skipped`` with who manages it."""
    from tfhelm.engine.manifests import install_rank

    ordered = sorted(refs, key=lambda r: install_rank(r.kind), reverse=True)
    deleted: list[ObjectRef] = []
    remove = (lambda r: _delete_if_owned(kube, r, owner, on_skipped)) if owner else kube.delete
    with ThreadPoolExecutor(max_workers=POOL_SIZE) as pool:
        for kind, group in itertools.groupby(ordered, key=lambda r: r.kind):
            members = list(group)
            if before_batch:
                before_batch(f"deleting {len(members)} {kind}")
            outcomes = _run(pool, remove, members)
            for member, (gone, error) in zip(members, outcomes, strict=True):
                if gone and error is None:
                    deleted.append(member)
                    if on_deleted:
                        on_deleted(member)
            _raise_first(outcomes)
    return deleted


def _delete_if_owned(
    kube: KubeClient, ref: ObjectRef, owner: tuple[str, str], on_skipped: Callable[[ObjectRef, str], None] | None
) -> bool:
    """Delete ``ref`` only while its live annotations name ``owner`` (checked, then preconditioned)."""
    for _ in range(3):  # the object may change between our read and our delete
        live = kube.get(ref)
        if live is None:
            return False
        if not is_owned_by(live, *owner):
            if on_skipped:
                on_skipped(ref, describe_owner(live))
            return False
        try:
            return kube.delete(ref, resource_version=(live.get("metadata") or {}).get("resourceVersion"))
        except PreconditionError:
            continue
    raise ClusterError(f"{ref} kept changing while tfhelm tried to delete it; try again")
