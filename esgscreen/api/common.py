"""What every API view needs first: the caller checked, the snapshot and policy resolved."""

from __future__ import annotations

from flask_smorest import abort

from esgscreen.api.access import require_read
from esgscreen.core.policy import Policy
from esgscreen.extensions import UnknownPolicy, services
from esgscreen.service.screening import Snapshot
from esgscreen.service.snapshots import AsOfError


def snapshot_as_of(as_of: str | None) -> Snapshot:
    """The reader's snapshot: the current version, or the one ``as_of`` names."""
    require_read()
    try:
        snapshot = services().snapshots.resolve(as_of)
    except AsOfError as error:
        abort(422, message=str(error), errors={"as_of": [str(error)]})
    if snapshot is None:
        abort(503, message="No watchlist version has been loaded yet.")
    return snapshot


def policy_named(policy_id: str | None) -> Policy:
    try:
        return services().policy(policy_id)
    except UnknownPolicy as error:
        abort(422, message=str(error), errors={"policy": [str(error)]})
