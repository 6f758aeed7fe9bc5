"""Change operations on the watchlist, and applying them: the heart of a curation proposal.

Pure: a mapping of entities in, a new mapping out, or a ``ChangeError`` naming the change
that cannot apply. Flags are picked by ``code`` and, when an entity has several flags with
that code, by ``since``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from esgscreen.core.errors import CoreError
from esgscreen.core.model import Entity, Evidence, Flag, Identifier, Relation


class ChangeError(CoreError):
    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"changes[{index}]: {message}")
        self.index = index
        self.message = message


@dataclass(frozen=True, slots=True)
class UpsertEntity:
    entity: Entity
    op: str = "upsert_entity"

    @property
    def entity_id(self) -> str:
        return self.entity.id


@dataclass(frozen=True, slots=True)
class RetireEntity:
    entity_id: str
    op: str = "retire_entity"


@dataclass(frozen=True, slots=True)
class AddIdentifier:
    entity_id: str
    identifier: Identifier
    op: str = "add_identifier"


@dataclass(frozen=True, slots=True)
class RemoveIdentifier:
    entity_id: str
    type: str
    value: str
    exchange: str | None = None
    op: str = "remove_identifier"


@dataclass(frozen=True, slots=True)
class AddRelation:
    entity_id: str
    relation: Relation
    op: str = "add_relation"


@dataclass(frozen=True, slots=True)
class RemoveRelation:
    entity_id: str
    type: str
    target: str
    op: str = "remove_relation"


@dataclass(frozen=True, slots=True)
class AddFlag:
    entity_id: str
    flag: Flag
    op: str = "add_flag"


@dataclass(frozen=True, slots=True)
class UpdateFlag:
    entity_id: str
    code: str
    since: str | None
    flag: Flag
    op: str = "update_flag"


@dataclass(frozen=True, slots=True)
class CloseFlag:
    entity_id: str
    code: str
    since: str | None
    op: str = "close_flag"


@dataclass(frozen=True, slots=True)
class AddEvidence:
    entity_id: str
    code: str
    since: str | None
    evidence: Evidence
    op: str = "add_evidence"


Change = (
    UpsertEntity
    | RetireEntity
    | AddIdentifier
    | RemoveIdentifier
    | AddRelation
    | RemoveRelation
    | AddFlag
    | UpdateFlag
    | CloseFlag
    | AddEvidence
)


def touched(changes: Iterable[Change]) -> list[str]:
    """The ids of the entities the changes touch, in first-touched order."""
    return list(dict.fromkeys(c.entity_id for c in changes))


def _flag_index(entity: Entity, code: str, since: str | None, index: int) -> int:
    found = [
        n for n, f in enumerate(entity.flags)
        if f.code == code and (since is None or f.since == since)
    ]
    if not found:
        wanted = f"{code} since {since}" if since else code
        raise ChangeError(index, f"{entity.id} has no flag {wanted}.")
    if len(found) > 1:
        dates = ", ".join(str(entity.flags[n].since) for n in found)
        raise ChangeError(
            index, f"{entity.id} has several {code} flags (since {dates}); name one with since."
        )
    return found[0]


def _with_flag(entity: Entity, position: int, flag: Flag) -> Entity:
    flags = list(entity.flags)
    flags[position] = flag
    return replace(entity, flags=tuple(flags))


def apply_change(entities: dict[str, Entity], change: Change, index: int) -> None:
    if isinstance(change, UpsertEntity):
        entities[change.entity.id] = change.entity
        return
    entity = entities.get(change.entity_id)
    if entity is None:
        raise ChangeError(index, f"there is no entity {change.entity_id!r} to change.")
    if isinstance(change, RetireEntity):
        del entities[change.entity_id]
    elif isinstance(change, AddIdentifier):
        if change.identifier in entity.identifiers or any(
            (i.type, i.value, i.exchange)
            == (change.identifier.type, change.identifier.value, change.identifier.exchange)
            for i in entity.identifiers
        ):
            raise ChangeError(index, f"{entity.id} already has {change.identifier.type} "
                                     f"{change.identifier.value}.")
        entities[entity.id] = replace(entity, identifiers=(*entity.identifiers, change.identifier))
    elif isinstance(change, RemoveIdentifier):
        kept = tuple(
            i for i in entity.identifiers
            if not (i.type == change.type and i.value == change.value
                    and (change.exchange is None or i.exchange == change.exchange))
        )
        if len(kept) == len(entity.identifiers):
            raise ChangeError(index, f"{entity.id} has no {change.type} {change.value}.")
        entities[entity.id] = replace(entity, identifiers=kept)
    elif isinstance(change, AddRelation):
        entities[entity.id] = replace(entity, relations=(*entity.relations, change.relation))
    elif isinstance(change, RemoveRelation):
        kept_relations = tuple(
            r for r in entity.relations if not (r.type == change.type and r.target == change.target)
        )
        if len(kept_relations) == len(entity.relations):
            raise ChangeError(index, f"{entity.id} has no {change.type} relation to "
                                     f"{change.target}.")
        entities[entity.id] = replace(entity, relations=kept_relations)
    elif isinstance(change, AddFlag):
        entities[entity.id] = replace(entity, flags=(*entity.flags, change.flag))
    elif isinstance(change, UpdateFlag):
        position = _flag_index(entity, change.code, change.since, index)
        entities[entity.id] = _with_flag(entity, position, change.flag)
    elif isinstance(change, CloseFlag):
        position = _flag_index(entity, change.code, change.since, index)
        flag = entity.flags[position]
        if flag.status == "concluded":
            raise ChangeError(index, f"{entity.id}'s {change.code} flag is already concluded.")
        entities[entity.id] = _with_flag(entity, position, replace(flag, status="concluded"))
    elif isinstance(change, AddEvidence):
        position = _flag_index(entity, change.code, change.since, index)
        flag = entity.flags[position]
        if change.evidence in flag.evidence:
            raise ChangeError(index, "that evidence is already on the flag.")
        entities[entity.id] = _with_flag(
            entity, position, replace(flag, evidence=(*flag.evidence, change.evidence))
        )


def apply_changes(entities: Mapping[str, Entity], changes: Sequence[Change]) -> dict[str, Entity]:
    """The entities after every change, in order; raises ChangeError at the first that fails."""
    result = dict(entities)
    for index, change in enumerate(changes):
        apply_change(result, change, index)
    return result


def fold_version_changes(
    versions: Iterable[Mapping[str, Sequence[str]]],
) -> dict[str, list[str]]:
    """What a run of versions did to the entity ids, oldest version first, as one change: an
    entity added then changed is added; added then removed is nothing; changed then removed is
    removed."""
    added: set[str] = set()
    changed: set[str] = set()
    removed: set[str] = set()
    for changes in versions:
        for eid in changes.get("added", ()):
            added.add(eid)
            removed.discard(eid)
        for eid in changes.get("changed", ()):
            if eid not in added:
                changed.add(eid)
        for eid in changes.get("removed", ()):
            if eid in added:
                added.discard(eid)
            else:
                removed.add(eid)
            changed.discard(eid)
    return {"added": sorted(added), "changed": sorted(changed), "removed": sorted(removed)}
