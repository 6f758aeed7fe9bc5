"""Curation: proposals checked like the watchlist files, reviewed by a second person, and
published as one new version when approved.

The rules live here; the rows in ``store.proposals``; the HTTP and CLI faces call these
functions.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from esgscreen.core import bounds
from esgscreen.core import changes as ch
from esgscreen.core.errors import InvalidIdentifier, InvalidQuery
from esgscreen.core.identifiers import normalise_identifier
from esgscreen.core.model import Entity, Identifier, Watchlist
from esgscreen.store import audit, proposals, repository
from esgscreen.store.db import Store
from esgscreen.store.proposals import ProposalInfo
from esgscreen.watchlist.files import entity_to_yaml
from esgscreen.watchlist.schema import (
    EntityFileSchema,
    EvidenceSchema,
    FlagSchema,
    IdentifierSchema,
    RelationSchema,
    Text,
    entity_from_dict,
    entity_to_dict,
    evidence_from_dicts,
    flag_from_dict,
    identifier_from_dict,
    relation_from_dict,
)
from esgscreen.watchlist.validate import Problem, validate_entities

MAX_CHANGES = 1000
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class CurationError(Exception):
    """A request the curation rules refuse; ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidProposal(CurationError):
    status = 422


class NotAllowed(CurationError):
    status = 403


class NotFound(CurationError):
    status = 404


class Conflict(CurationError):
    status = 409


# parsing the change operations -------------------------------------------------


def _canonical(identifier: Identifier) -> Identifier:
    """Curators may write an identifier as they read it; it is stored canonical."""
    if identifier.type == "ticker":
        return identifier
    try:
        return replace(identifier, value=normalise_identifier(identifier.type, identifier.value))
    except InvalidIdentifier as error:
        raise ValidationError({"value": [error.message]}) from None


def _entity(data: Mapping[str, Any]) -> Entity:
    entity = entity_from_dict(data)
    return replace(entity, identifiers=tuple(_canonical(i) for i in entity.identifiers))


class _Op(Schema):
    class Meta:
        unknown = EXCLUDE

    op = fields.String(required=True)


class _EntityRef(_Op):
    entity_id = Text(required=True, validate=validate.Regexp(SLUG))


class _FlagRef(_EntityRef):
    code = Text(required=True)
    since = Text(load_default=None)


class _Upsert(_Op):
    entity = fields.Nested(EntityFileSchema, required=True)


class _AddIdentifier(_EntityRef):
    identifier = fields.Nested(IdentifierSchema, required=True)


class _RemoveIdentifier(_EntityRef):
    type = Text(required=True)
    value = Text(required=True)
    exchange = Text(load_default=None)


class _AddRelation(_EntityRef):
    relation = fields.Nested(RelationSchema, required=True)


class _RemoveRelation(_EntityRef):
    type = Text(required=True)
    target = Text(required=True)


class _AddFlag(_EntityRef):
    flag = fields.Nested(FlagSchema, required=True)


class _UpdateFlag(_FlagRef):
    flag = fields.Nested(FlagSchema, required=True)


class _AddEvidence(_FlagRef):
    evidence = fields.Nested(EvidenceSchema, required=True)


OPERATIONS: dict[str, tuple[type[Schema], Any]] = {
    "upsert_entity": (_Upsert, lambda d: ch.UpsertEntity(_entity(d["entity"]))),
    "retire_entity": (_EntityRef, lambda d: ch.RetireEntity(d["entity_id"])),
    "add_identifier": (
        _AddIdentifier,
        lambda d: ch.AddIdentifier(d["entity_id"],
                                   _canonical(identifier_from_dict(d["identifier"]))),
    ),
    "remove_identifier": (
        _RemoveIdentifier,
        lambda d: ch.RemoveIdentifier(d["entity_id"], d["type"], d["value"], d["exchange"]),
    ),
    "add_relation": (_AddRelation, lambda d: ch.AddRelation(d["entity_id"],
                                                            relation_from_dict(d["relation"]))),
    "remove_relation": (
        _RemoveRelation, lambda d: ch.RemoveRelation(d["entity_id"], d["type"], d["target"])
    ),
    "add_flag": (_AddFlag, lambda d: ch.AddFlag(d["entity_id"], flag_from_dict(d["flag"]))),
    "update_flag": (
        _UpdateFlag,
        lambda d: ch.UpdateFlag(d["entity_id"], d["code"], d["since"], flag_from_dict(d["flag"])),
    ),
    "close_flag": (_FlagRef, lambda d: ch.CloseFlag(d["entity_id"], d["code"], d["since"])),
    "add_evidence": (
        _AddEvidence,
        lambda d: ch.AddEvidence(d["entity_id"], d["code"], d["since"],
                                 evidence_from_dicts([d["evidence"]])[0]),
    ),
}


def _flatten(messages: Any, prefix: str) -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix}: {' '.join(messages)}" if prefix else " ".join(messages)]
    if isinstance(messages, list):
        return [m for n, item in enumerate(messages) for m in _flatten(item, f"{prefix}[{n}]")]
    return [f"{prefix}: {messages}"]


def parse_changes(raw: Any) -> list[ch.Change]:
    """Change operations from JSON; raises InvalidProposal listing each failing change."""
    if not isinstance(raw, list) or not raw:
        raise InvalidProposal("changes must be a non-empty list of change operations.",
                              {"changes": ["must be a non-empty list"]})
    if len(raw) > MAX_CHANGES:
        raise InvalidProposal(f"A proposal holds at most {MAX_CHANGES} changes.",
                              {"changes": [f"at most {MAX_CHANGES}"]})
    parsed: list[ch.Change] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(raw):
        key = f"changes[{index}]"
        op = item.get("op") if isinstance(item, dict) else None
        if op not in OPERATIONS:
            known = ", ".join(OPERATIONS)
            errors[key] = [f"op must be one of: {known}"]
            continue
        schema, build = OPERATIONS[op]
        try:
            parsed.append(build(schema().load(item)))
        except ValidationError as error:
            errors[key] = _flatten(error.messages, "")
    if errors:
        raise InvalidProposal(_describe(errors), errors)
    return parsed


def _describe(errors: Mapping[str, list[str]]) -> str:
    count = len(errors)
    first = next(iter(errors.items()))
    return (f"{count} change(s) cannot be accepted; {first[0]}: {first[1][0]}"
            + (" …" if count > 1 or len(first[1]) > 1 else ""))


# checking a proposal against a watchlist ----------------------------------------


def _after(watchlist: Watchlist, parsed: Sequence[ch.Change]) -> dict[str, Entity]:
    try:
        return ch.apply_changes(watchlist.entities, parsed)
    except ch.ChangeError as error:
        raise InvalidProposal(str(error), {f"changes[{error.index}]": [error.message]}) from None


def check(
    watchlist: Watchlist,
    parsed: Sequence[ch.Change],
    retired_before: Mapping[str, int] | None = None,
) -> dict[str, Entity]:
    """The entities after the changes, if they pass every rule of `watchlist validate`.

    A relation may not point to a retired entity: one this proposal retires (the other
    entity's relation must go in the same proposal) or one `retired_before` (id -> the version
    that retired it).
    """
    after = _after(watchlist, parsed)
    retiring = {
        c.entity_id: n for n, c in enumerate(parsed)
        if isinstance(c, ch.RetireEntity) and c.entity_id in watchlist.entities
    }
    retired = {eid: f"in version {v}" for eid, v in (retired_before or {}).items()}
    retired |= {eid: f"by changes[{n}] of this proposal" for eid, n in retiring.items()}
    before = {str(p) for p in validate_entities(watchlist.entities, watchlist.taxonomy)}
    problems = [
        p for p in validate_entities(after, watchlist.taxonomy, retired=retired)
        if str(p) not in before
    ]
    if problems:
        raise InvalidProposal(
            f"{len(problems)} problem(s): {problems[0]}",
            _problems_by_change(problems, parsed, _relating(after, retiring)),
        )
    return after


def _relating(after: Mapping[str, Entity], retiring: Mapping[str, int]) -> dict[str, list[int]]:
    """For each entity still relating to one the proposal retires, the retiring changes."""
    found: dict[str, list[int]] = {}
    for entity in after.values():
        for relation in entity.relations:
            if relation.target in retiring:
                found.setdefault(entity.id, []).append(retiring[relation.target])
    return found


def _problems_by_change(
    problems: list[Problem],
    parsed: Sequence[ch.Change],
    also: Mapping[str, list[int]] | None = None,
) -> dict[str, list[str]]:
    by_entity: dict[str, list[int]] = {}
    for index, change in enumerate(parsed):
        by_entity.setdefault(change.entity_id, []).append(index)
    for entity_id, indices in (also or {}).items():
        by_entity.setdefault(entity_id, []).extend(indices)
    errors: dict[str, list[str]] = {}
    for problem in problems:
        entity_id = problem.file.removeprefix("entities/").removesuffix(".yaml")
        indices = by_entity.get(entity_id)
        keys = [f"changes[{n}]" for n in sorted(set(indices))] if indices else ["changes"]
        for key in keys:
            errors.setdefault(key, []).append(f"{entity_id}: {problem.field}: {problem.message}")
    return errors


def hashes(watchlist: Watchlist, entity_ids: Sequence[str]) -> dict[str, str | None]:
    """Each entity's content hash in `watchlist` (None: not there), to notice later changes."""
    return {
        eid: repository.content_hash(watchlist.entities[eid]) if eid in watchlist.entities
        else None
        for eid in entity_ids
    }


def diff(watchlist: Watchlist, parsed: Sequence[ch.Change]) -> list[dict[str, Any]]:
    """Per touched entity, a unified diff of its YAML before and after the changes."""
    after = ch.apply_changes(watchlist.entities, parsed)
    out = []
    for eid in ch.touched(parsed):
        old = entity_to_yaml(watchlist.entities[eid]) if eid in watchlist.entities else ""
        new = entity_to_yaml(after[eid]) if eid in after else ""
        kind = "added" if not old else "retired" if not new else "changed"
        lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(),
                                          f"{eid} (version {watchlist.version})",
                                          f"{eid} (proposed)", lineterm=""))
        out.append({"entity_id": eid, "kind": kind, "diff": "\n".join(lines)})
    return out


# the workflow -------------------------------------------------------------------


def _current(store: Store, session: Any) -> Watchlist:
    watchlist = repository.load_watchlist(session)
    if watchlist is None:
        raise Conflict("No watchlist version has been published yet.")
    return watchlist


def _checked_text(field: str, value: str, limit: int) -> None:
    try:
        bounds.check_text(field, value, limit)
    except InvalidQuery as error:
        raise InvalidProposal(error.message, {field: [error.message]}) from None


def submit(store: Store, summary: str, raw_changes: Any, actor: audit.Actor) -> ProposalInfo:
    """Record a pending proposal, checked against the current version."""
    if not isinstance(summary, str) or not summary.strip():
        raise InvalidProposal("A proposal needs a summary saying what it changes and why.",
                              {"summary": ["is required"]})
    _checked_text("summary", summary, bounds.SUMMARY)
    parsed = parse_changes(raw_changes)
    with store.write() as session:
        watchlist = _current(store, session)
        check(watchlist, parsed, repository.retired_entities(session))
        return proposals.add(session, summary.strip(), raw_changes, watchlist.version,
                             hashes(watchlist, ch.touched(parsed)), actor)


def get(store: Store, proposal_id: int) -> tuple[ProposalInfo, list[dict[str, Any]] | str]:
    """A proposal and its diff against the current version (or why it no longer applies)."""
    with store.read() as session:
        row = proposals.get(session, proposal_id)
        if row is None:
            raise NotFound(f"There is no proposal {proposal_id}.")
        found = proposals.info(row)
        watchlist = repository.load_watchlist(session)
    if watchlist is None:
        return found, "No watchlist version has been published yet."
    try:
        return found, diff(watchlist, parse_changes(found.changes))
    except (CurationError, ch.ChangeError) as error:
        return found, f"The proposal no longer applies to version {watchlist.version}: {error}"


def _pending(session: Any, proposal_id: int) -> Any:
    row = proposals.get(session, proposal_id, for_update=True)
    if row is None:
        raise NotFound(f"There is no proposal {proposal_id}.")
    if row.status != "pending":
        raise Conflict(f"Proposal {proposal_id} is already {row.status}.")
    return row


def approve(store: Store, proposal_id: int, actor: audit.Actor) -> ProposalInfo:
    """Apply every change as one new version, or nothing (409 when the data moved)."""
    with store.write() as session:
        row = _pending(session, proposal_id)
        if row.author_identity == proposals.identity(actor):
            raise NotAllowed("Nobody approves their own proposal: a second person must review it.")
        watchlist = _current(store, session)
        parsed = parse_changes(row.changes)
        now = hashes(watchlist, list(row.base_hashes))
        moved = [eid for eid, base in row.base_hashes.items() if now[eid] != base]
        if moved:
            raise Conflict(
                f"Since proposal {proposal_id} was submitted, {', '.join(sorted(moved))} "
                "changed; the curator should resubmit it against the current version.",
                {"entities": sorted(moved)},
            )
        after = check(watchlist, parsed, repository.retired_entities(session))
        version = repository.publish(
            session, after.values(), list(watchlist.taxonomy.values()),
            summary=f"Proposal {proposal_id}: {row.summary}", author=str(actor),
        )
        if version is None:
            raise Conflict(f"Proposal {proposal_id} changes nothing in the current version.")
        return proposals.decide(session, row, "approved", actor, result_version=version)


def reject(store: Store, proposal_id: int, reason: str, actor: audit.Actor) -> ProposalInfo:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidProposal("A rejection needs a reason for the curator.",
                              {"reason": ["is required"]})
    _checked_text("reason", reason, bounds.REASON)
    with store.write() as session:
        row = _pending(session, proposal_id)
        return proposals.decide(session, row, "rejected", actor, reason=reason.strip())


def withdraw(store: Store, proposal_id: int, actor: audit.Actor) -> ProposalInfo:
    with store.write() as session:
        row = _pending(session, proposal_id)
        if row.author_identity != proposals.identity(actor):
            raise NotAllowed("Only the author can withdraw a proposal.")
        return proposals.decide(session, row, "withdrawn", actor)


def entity_changes(entity: Entity) -> dict[str, Any]:
    """An upsert of `entity` in the JSON shape of a change operation."""
    return {"op": "upsert_entity", "entity": entity_to_dict(entity)}


@dataclass(frozen=True)
class Revert:
    version: int
    changes: list[dict[str, Any]]


def revert_changes(store: Store, version: int) -> Revert:
    """The changes that undo `version`: what it touched goes back to its state just before."""
    with store.read() as session:
        target = repository.get_version(session, version)
        if target is None:
            raise NotFound(f"There is no watchlist version {version}.")
        if version == 1:
            raise InvalidProposal("Version 1 is the first version; there is nothing before it.")
        before = repository.load_watchlist(session, version - 1)
        current = repository.load_watchlist(session)
    assert before is not None and current is not None
    touched_ids = [*target.changes.get("added", []), *target.changes.get("changed", []),
                   *target.changes.get("removed", [])]
    out: list[dict[str, Any]] = []
    for eid in touched_ids:
        if eid in before.entities:
            if current.entities.get(eid) != before.entities[eid]:
                out.append(entity_changes(before.entities[eid]))
        elif eid in current.entities:
            out.append({"op": "retire_entity", "entity_id": eid})
    if not out:
        raise InvalidProposal(f"The current version already matches the state before {version}.")
    return Revert(version, out)
