"""``tfhelm diff upgrade`` (and ``upgrade --dry-run``): what an upgrade would change, per object.

Each desired object is sent as a server-side dry-run apply, and the object the server would
hold is compared with the live one (both without server bookkeeping and status). Secret values
never appear: each is shown as a mask that says whether it changed.

Objects an earlier revision applied that the new one no longer renders are deleted by an
upgrade only while they still carry this release's ownership annotations; the diff applies the
same rule, so one that now belongs to someone else is shown as skipped, not as a delete.
"""

from __future__ import annotations

import difflib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.objects import describe_owner, identity, is_owned_by, summary_ref
from tfhelm.actions.upgrade import UpgradeOptions, plan_upgrade
from tfhelm.kube import ObjectRef
from tfhelm.release import Status

__all__ = ["DiffResult", "ObjectChange", "diff_upgrade", "mask_secrets"]

_BOOKKEEPING = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink")


@dataclass(frozen=True)
class ObjectChange:
    ref: ObjectRef
    action: str  # create, change, delete, unchanged, skipped (left alone) or refused (upgrade would stop)
    diff: str = ""
    note: str = ""  # why, for skipped and refused objects


@dataclass
class DiffResult:
    changes: list[ObjectChange] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def summary(self) -> str:
        skipped, refused = self.count("skipped"), self.count("refused")
        also = f", {skipped} skipped: not owned by this release" if skipped else ""
        also += f", {refused} refused: exist and are not managed by this release" if refused else ""
        return (
            f"{self.count('create')} to create, {self.count('change')} to change, "
            f"{self.count('delete')} to delete ({self.count('unchanged')} unchanged{also})"
        )


def diff_upgrade(config: Configuration, options: UpgradeOptions) -> DiffResult:
    """Compare the live objects of ``options.name`` with what upgrading would apply."""
    history, rendered = plan_upgrade(config, options)
    force = options.deploy.force_conflicts
    with ThreadPoolExecutor(max_workers=16) as pool:
        changes = list(pool.map(lambda o: _compare(config, o, force, options), rendered.objects))
    wanted = {identity(o) for o in rendered.objects}
    removed: dict[str, ObjectRef] = {}
    for release in [r for r in history if r.status in (Status.DEPLOYED, Status.FAILED)][-2:]:
        for summary in release.objects:
            key = identity(summary_ref(summary))
            if key not in wanted and not summary.get("keep"):
                removed[key] = summary_ref(summary)
    for ref in removed.values():
        live = config.kube.get(ref)
        if live is None:
            continue
        if is_owned_by(live, options.name, config.namespace):
            changes.append(ObjectChange(ref, "delete", _unified(ref, _clean(live), None)))
        else:
            note = f"not owned by release {options.name}: {describe_owner(live)}; an upgrade leaves it in place"
            changes.append(ObjectChange(ref, "skipped", note=note))
    return DiffResult(changes)


def _compare(config: Configuration, obj: dict[str, Any], force: bool, options: UpgradeOptions) -> ObjectChange:
    ref = ObjectRef.of(obj)
    live = config.kube.get(ref)
    if live is not None and not options.deploy.take_ownership and not is_owned_by(live, options.name, config.namespace):
        note = (
            f"exists and is not managed by release {options.name} ({describe_owner(live)}); "
            "the upgrade would stop here unless --take-ownership"
        )
        return ObjectChange(ref, "refused", note=note)
    planned = _clean(config.kube.apply(obj, force=force, dry_run=True))
    if live is None:
        return ObjectChange(ref, "create", _unified(ref, None, planned))
    before = _clean(live)
    if before == planned:
        return ObjectChange(ref, "unchanged")
    return ObjectChange(ref, "change", _unified(ref, before, planned))


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in obj.items() if k != "status"}
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _BOOKKEEPING}
    cleaned["metadata"] = metadata
    return cleaned


def mask_secrets(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[Any, Any]:
    """Replace Secret values with masks; a changed value gets a different mask on each side."""
    if (before or after or {}).get("kind") != "Secret":
        return before, after
    before = dict(before) if before else None
    after = dict(after) if after else None
    for section in ("data", "stringData"):
        old = (before or {}).get(section) or {}
        new = (after or {}).get(section) or {}
        if before is not None and section in before:
            before[section] = {k: _mask(v, "old" if new.get(k, v) != v else "") for k, v in old.items()}
        if after is not None and section in after:
            after[section] = {k: _mask(v, "new" if k in old and old[k] != v else "") for k, v in new.items()}
    old_notes, new_notes = _annotations(before), _annotations(after)
    for side, notes, other in ((before, old_notes, new_notes), (after, new_notes, old_notes)):
        if side is not None and notes:
            side["metadata"] = {
                **side["metadata"],
                "annotations": {
                    k: _mask(v, "changed" if other.get(k, v) != v else "") if _may_hold_secret(v) else v
                    for k, v in notes.items()
                },
            }
    return before, after


def _annotations(obj: dict[str, Any] | None) -> dict[str, Any]:
    return ((obj or {}).get("metadata") or {}).get("annotations") or {}


def _may_hold_secret(annotation: Any) -> bool:
    """kubectl's last-applied-configuration (or any JSON copy of the object) carries its data."""
    import json

    try:
        parsed = json.loads(annotation) if isinstance(annotation, str) else None
    except ValueError:
        return False
    return isinstance(parsed, dict) and bool({"data", "stringData"} & set(parsed))


def _mask(value: Any, tag: str) -> str:
    size = len(str(value))
    return f"(masked, {size} chars{', ' + tag + ' value' if tag else ''})"


def _unified(ref: ObjectRef, before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    from tfhelm.yamlio import dump_yaml

    before, after = mask_secrets(before, after)
    old = dump_yaml(before).splitlines(keepends=True) if before else []
    new = dump_yaml(after).splitlines(keepends=True) if after else []
    name = str(ref)
    return "".join(difflib.unified_diff(old, new, fromfile=f"live: {name}", tofile=f"planned: {name}", n=3))
