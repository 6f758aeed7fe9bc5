"""What every API view needs first: the caller checked, the snapshot and policy resolved."""

from __future__ import annotations

from esgscreen.api.access import require_read
from esgscreen.core.policy import Policy
from esgscreen.extensions import services
from esgscreen.service.screening import Snapshot


def snapshot_as_of(as_of: str | None) -> Snapshot:
    """The reader's snapshot: the current version, or the one ``as_of`` names."""
    require_read()
    return services().snapshots.require(as_of)


def policy_named(policy_id: str | None) -> Policy:
    return services().policy(policy_id)
