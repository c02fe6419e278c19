"""Installing a chart's ``crds/`` before its templates, with Helm's policy.

Each CustomResourceDefinition of the chart's (and its enabled subcharts') ``crds/`` directories
is created when the cluster does not have it, and left alone when it does: tfhelm never updates
nor deletes one, and they are not part of the release (no ownership annotations, not in its
record), so uninstall and rollback never touch them. The new ones are waited for until
Established, so the templates' custom resources can be applied right after. Upgrades do not
install them (Helm's rule); ``upgrade --install`` does when it installs.
"""

from __future__ import annotations

from collections.abc import Callable

from tfhelm.chart.crds import CrdFile
from tfhelm.errors import PreconditionError
from tfhelm.kube import KubeClient, ObjectRef

__all__ = ["CrdOutcome", "install_crds"]


class CrdOutcome:
    """Which CRDs were created and which were already present (left as they were)."""

    def __init__(self) -> None:
        self.created: list[ObjectRef] = []
        self.present: list[ObjectRef] = []


def install_crds(
    kube: KubeClient,
    crds: list[CrdFile],
    *,
    before_write: Callable[[str], None] | None = None,
    on_event: Callable[[str], None] | None = None,
) -> CrdOutcome:
    """Create the CRDs of ``crds`` the cluster lacks, then wait until they are Established.

    Every file is parsed (and refused unless it holds only CRDs) before anything is written.
    ``before_write`` runs before the first creation (the release lock checks there).
    """
    from tfhelm.actions.apply import wait_established

    objects = [obj for crd in crds for obj in crd.objects()]
    outcome = CrdOutcome()
    for obj in objects:
        ref = ObjectRef.of(obj)
        if kube.get(ref) is not None:
            outcome.present.append(ref)
            continue
        if before_write is not None and not outcome.created:
            before_write(f"create {ref}")
        try:
            kube.create(obj)
        except PreconditionError:  # created by someone else since we looked: theirs, left alone
            outcome.present.append(ref)
            continue
        outcome.created.append(ref)
        if on_event is not None:
            on_event(f"created {ref} (crds/)")
    if outcome.created:
        wait_established(kube, outcome.created)
    return outcome
