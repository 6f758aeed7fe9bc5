"""What a new watchlist version changes in the computed outcomes, and why, in words.

Pure: two assessed watchlists in (entities with their ratings and derived exposures), the
entities whose outcome moved out. An outcome is an entity's rating, its own flags and its
derived exposures; a change is *direct* when the entity's own record changed and *derived*
when it moved only through a chain of ownership, a SPAC merger or a brand (then the path
says how).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from esgscreen.core.model import Entity
from esgscreen.core.risk import Exposure, ExposureStep


@dataclass(frozen=True, slots=True)
class Assessed:
    """One watchlist version as the risk rules see it."""

    entities: Mapping[str, Entity]
    ratings: Mapping[str, str]
    exposures: Mapping[str, tuple[Exposure, ...]]


@dataclass(frozen=True, slots=True)
class Outcome:
    rating: str
    flags: tuple[tuple[str, str, str], ...]  # own flags: (code, severity, status)
    exposures: tuple[tuple[str, str, str], ...]  # derived: (target, severity, status)


@dataclass(frozen=True, slots=True)
class OutcomeChange:
    entity_id: str
    name: str
    change: str  # added | removed | changed
    direct: bool
    before: Outcome | None
    after: Outcome | None
    via: str | None  # for a derived change: the entity whose own change reached this one
    path: tuple[ExposureStep, ...]  # for a derived change: from this entity to ``via``
    reason: str


def outcome_of(assessed: Assessed, entity_id: str) -> Outcome | None:
    entity = assessed.entities.get(entity_id)
    if entity is None:
        return None
    return Outcome(
        rating=assessed.ratings[entity_id],
        flags=tuple(sorted((f.code, f.severity, f.status) for f in entity.flags)),
        exposures=tuple(sorted(
            (x.target, x.severity, x.status) for x in assessed.exposures.get(entity_id, ())
        )),
    )


def _name(before: Assessed, after: Assessed, entity_id: str) -> str:
    entity = after.entities.get(entity_id) or before.entities.get(entity_id)
    return entity.name if entity else entity_id


def own_cause(before: Entity | None, after: Entity | None) -> str:
    """Why an entity's own record gives it another outcome, in a few words."""
    if before is None:
        return f"{after.name} was added to the watchlist" if after else ""
    if after is None:
        return f"{before.name} was retired from the watchlist"
    name = after.name
    old = {(f.code, f.since): f for f in before.flags}
    new = {(f.code, f.since): f for f in after.flags}
    causes: list[str] = []
    for key, flag in new.items():
        was = old.get(key)
        if was is None:
            causes.append(f"{name} has a new {flag.severity} flag ({flag.code})")
        elif was.status != flag.status:
            verb = "concluded" if flag.status == "concluded" else "reopened"
            causes.append(f"{name}'s {flag.severity} flag {verb}")
        elif was.severity != flag.severity:
            causes.append(f"{name}'s {flag.code} flag is now {flag.severity}, was {was.severity}")
    for key, flag in old.items():
        if key not in new:
            causes.append(f"{name}'s {flag.severity} flag ({flag.code}) was removed")
    if before.relations != after.relations:
        causes.append(f"{name}'s ownership links changed")
    return "; ".join(causes) or f"{name}'s record changed"


def _moved_exposure(
    before: Outcome | None, after: Outcome | None, assessed_before: Assessed,
    assessed_after: Assessed, entity_id: str
) -> Exposure | None:
    """The exposure (after, or else before) whose target's grade moved for this entity."""
    old = {t: (s, st) for t, s, st in (before.exposures if before else ())}
    new = {t: (s, st) for t, s, st in (after.exposures if after else ())}
    for target in sorted(set(old) | set(new)):
        if old.get(target) == new.get(target):
            continue
        source = assessed_after if target in new else assessed_before
        for exposure in source.exposures.get(entity_id, ()):
            if exposure.target == target:
                return exposure
    return None


def _rated(change: str, name: str, before: Outcome | None, after: Outcome | None) -> str:
    if before is None and after is not None:
        return f"{name}: added, rated {after.rating}"
    if after is None and before is not None:
        return f"{name}: retired, was rated {before.rating}"
    assert before is not None and after is not None
    if before.rating != after.rating:
        return f"{name}: rated {after.rating}, was {before.rating}"
    return f"{name}: still rated {after.rating}"


def outcome_changes(
    before: Assessed, after: Assessed, touched: Iterable[str] | None = None
) -> list[OutcomeChange]:
    """Every entity whose outcome differs between the two versions, direct changes first.

    ``touched`` names the entities whose own record changed (default: found by comparing).
    """
    ids = sorted(set(before.entities) | set(after.entities))
    if touched is None:
        touched_ids = {i for i in ids if before.entities.get(i) != after.entities.get(i)}
    else:
        touched_ids = set(touched)
    causes = {
        eid: own_cause(before.entities.get(eid), after.entities.get(eid)) for eid in touched_ids
    }
    found: list[OutcomeChange] = []
    for eid in ids:
        old, new = outcome_of(before, eid), outcome_of(after, eid)
        if old == new:
            continue
        name = _name(before, after, eid)
        change = "added" if old is None else "removed" if new is None else "changed"
        direct = eid in touched_ids
        via: str | None = None
        path: tuple[ExposureStep, ...] = ()
        if direct:
            cause = causes[eid]
        else:
            exposure = _moved_exposure(old, new, before, after, eid)
            if exposure is not None:
                via, path = exposure.target, exposure.path
                on_path = [s.held for s in exposure.path] + [s.holder for s in exposure.path]
                origin = next((e for e in (exposure.target, *on_path) if e in touched_ids),
                              exposure.target)
                cause = causes.get(origin) or f"{_name(before, after, origin)}'s grade changed"
            else:
                cause = "its ownership exposure changed"
        found.append(OutcomeChange(
            entity_id=eid, name=name, change=change, direct=direct, before=old, after=new,
            via=via, path=path, reason=f"{_rated(change, name, old, new)}: {cause}",
        ))
    found.sort(key=lambda c: (not c.direct, c.entity_id))
    return found


def rating_moved(change: OutcomeChange) -> bool:
    before = change.before.rating if change.before else None
    after = change.after.rating if change.after else None
    return before != after


# a watched holding's verdict ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str  # match, possible_match, no_match
    rating: str | None
    action: str
    entity_id: str | None  # the best candidate, if any
    entity_name: str | None


def verdict_reason(label: str, before: Verdict, after: Verdict,
                   entity_reasons: Mapping[str, str]) -> str:
    """One line a person reads: why a holding's verdict moved between two versions.

    ``label`` is how the client holds it (its name, else its ref); ``entity_reasons`` are the
    version's outcome-change reasons by entity id.
    """
    same = before.entity_id == after.entity_id
    if same and after.entity_id is not None and before.status == after.status:
        reason = entity_reasons.get(after.entity_id)
        if reason:
            return reason
        return (f"{after.entity_name}: action {after.action}, was {before.action}"
                if before.action != after.action
                else f"{after.entity_name}: rated {after.rating}, was {before.rating}")
    if after.status == "match" and (before.status != "match" or not same):
        was = (f"was {before.status.replace('_', ' ')}" if before.status != "match"
               else f"was {before.entity_name} (rated {before.rating})")
        cause = entity_reasons.get(after.entity_id or "")
        text = f"{label}: now matches {after.entity_name}, rated {after.rating}; {was}"
        return f"{text} ({cause})" if cause else text
    if before.status == "match" and after.status != "match":
        return (f"{label}: no longer matches {before.entity_name} (was rated {before.rating}); "
                f"now {after.status.replace('_', ' ')}")
    return (f"{label}: now {after.status.replace('_', ' ')}, "
            f"was {before.status.replace('_', ' ')}")
