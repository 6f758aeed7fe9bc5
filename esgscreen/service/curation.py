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
from esgscreen.core.model import IDENTIFIER_TYPES, Entity, Identifier, Watchlist
from esgscreen.service import monitoring
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


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with a proposal: which change (None: the proposal as a whole), the dotted
    path of the field inside it (``entity.identifiers.0.value``; "" for the change itself), and
    what is wrong, in words. Forms show each beside its own field."""

    change: int | None
    path: str
    message: str


class CurationError(Exception):
    """A request the curation rules refuse; ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None,
                 problems: Sequence[FieldProblem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.problems = list(problems)


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


def _paths(messages: Any, prefix: str) -> list[tuple[str, str]]:
    """marshmallow's nested messages as (dotted path, message) pairs."""
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for key, value in messages.items():
            out += _paths(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(prefix, " ".join(messages))]
    if isinstance(messages, list):
        return [m for n, item in enumerate(messages) for m in _paths(item, f"{prefix}.{n}")]
    return [(prefix, str(messages))]


def identifier_message(type_: str, value: str, reason: str) -> str:
    """Why an identifier is refused, in words that name it: "The ISIN's check digit is wrong:
    IL0011794803"."""
    label = type_.upper() if type_ in ("isin", "lei", "cik", "cusip", "figi") else type_
    if "check digit does not match" in reason:
        return f"The {label}'s check digit is wrong: {value}"
    if "unknown country or issuer prefix" in reason:
        return f"The {label} starts with an unknown country or issuer prefix: {value}"
    return f"{reason[:1].upper()}{reason[1:]}: {value}"


def _identifier_problems(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Identifiers whose check digits or shape are wrong, found beside the schema's own
    messages so that a form hears of every mistake at once."""
    if item.get("op") == "upsert_entity" and isinstance(item.get("entity"), dict):
        listed = item["entity"].get("identifiers")
        found = ([(f"entity.identifiers.{n}", i) for n, i in enumerate(listed)]
                 if isinstance(listed, list) else [])
    elif item.get("op") == "add_identifier":
        found = [("identifier", item.get("identifier"))]
    else:
        return []
    problems = []
    for path, identifier in found:
        if not isinstance(identifier, dict) or identifier.get("type") not in IDENTIFIER_TYPES:
            continue
        type_, value = identifier["type"], identifier.get("value")
        if type_ == "ticker" or not isinstance(value, str | int) or value == "":
            continue  # tickers are kept as written; a missing value is the schema's to report
        try:
            normalise_identifier(type_, value)
        except InvalidIdentifier as error:
            problems.append((f"{path}.value", identifier_message(type_, str(value),
                                                                  error.message)))
    return problems


def parse_changes(raw: Any) -> list[ch.Change]:
    """Change operations from JSON; raises InvalidProposal listing each failing change."""
    if not isinstance(raw, list) or not raw:
        raise InvalidProposal("changes must be a non-empty list of change operations.",
                              {"changes": ["must be a non-empty list"]})
    if len(raw) > MAX_CHANGES:
        raise InvalidProposal(f"A proposal holds at most {MAX_CHANGES} changes.",
                              {"changes": [f"at most {MAX_CHANGES}"]})
    parsed: list[ch.Change] = []
    problems: list[FieldProblem] = []
    for index, item in enumerate(raw):
        op = item.get("op") if isinstance(item, dict) else None
        if op not in OPERATIONS:
            known = ", ".join(OPERATIONS)
            problems.append(FieldProblem(index, "op", f"op must be one of: {known}"))
            continue
        schema, build = OPERATIONS[op]
        found = _identifier_problems(item)
        try:
            loaded = schema().load(item)
        except ValidationError as error:
            found = _paths(error.messages, "") + found
        else:
            if not found:
                try:
                    parsed.append(build(loaded))
                except ValidationError as error:
                    found = _paths(error.messages, "")
        problems += [FieldProblem(index, path, message) for path, message in found]
    if problems:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(f"changes[{problem.change}]", []).append(
                f"{problem.path}: {problem.message}" if problem.path else problem.message)
        raise InvalidProposal(_describe(errors), errors, problems)
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
        raise InvalidProposal(str(error), {f"changes[{error.index}]": [error.message]},
                              [FieldProblem(error.index, "", error.message)]) from None


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
            _field_problems(problems, parsed),
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
        found = by_entity.get(entity_id)
        keys = [f"changes[{n}]" for n in sorted(set(found))] if found else ["changes"]
        for key in keys:
            errors.setdefault(key, []).append(f"{entity_id}: {problem.field}: {problem.message}")
    return errors


def _field_problems(problems: list[Problem], parsed: Sequence[ch.Change]
                    ) -> list[FieldProblem]:
    """The watchlist rules' problems at the change that touched the entity, with the field's
    path as a change operation spells it (``entity.flags.0.code`` for an upsert)."""
    out = []
    for problem in problems:
        entity_id = problem.file.removeprefix("entities/").removesuffix(".yaml")
        indices: list[int | None] = [n for n, change in enumerate(parsed)
                                     if change.entity_id == entity_id]
        path = problem.field.replace("[", ".").replace("]", "")
        for index in indices or [None]:
            prefix = "entity." if index is not None and isinstance(parsed[index],
                                                                   ch.UpsertEntity) else ""
            out.append(FieldProblem(index, f"{prefix}{path}" if path else "",
                                    problem.message))
    return out


def hashes(watchlist: Watchlist, entity_ids: Sequence[str]) -> dict[str, str | None]:
    """Each entity's content hash in `watchlist` (None: not there), to notice later changes."""
    return {
        eid: repository.content_hash(watchlist.entities[eid]) if eid in watchlist.entities
        else None
        for eid in entity_ids
    }


def diff(watchlist: Watchlist, parsed: Sequence[ch.Change],
         after_label: str = "proposed") -> list[dict[str, Any]]:
    """Per touched entity, a unified diff of its YAML before and after the changes."""
    return _entity_diffs(watchlist, ch.apply_changes(watchlist.entities, parsed),
                         ch.touched(parsed), after_label)


def _entity_diffs(before: Watchlist, after: Mapping[str, Entity], touched: Sequence[str],
                  after_label: str) -> list[dict[str, Any]]:
    out = []
    for eid in touched:
        old = entity_to_yaml(before.entities[eid]) if eid in before.entities else ""
        new = entity_to_yaml(after[eid]) if eid in after else ""
        kind = "added" if not old else "retired" if not new else "changed"
        lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(),
                                          f"{eid} (version {before.version})",
                                          f"{eid} ({after_label})", lineterm=""))
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
    """A proposal and its diff: a pending one against the current version (what approving
    would do); an approved one from its base version to the version it was published as (what
    was approved, kept whatever came later); a rejected or withdrawn one against its base
    version (what was proposed). A string says why there is no diff."""
    with store.read() as session:
        row = proposals.get(session, proposal_id)
        if row is None:
            raise NotFound(f"There is no proposal {proposal_id}.")
        found = proposals.info(row)
        if found.status == "pending" or found.base_version is None:
            watchlist = repository.load_watchlist(session)
        else:
            watchlist = repository.load_watchlist(session, found.base_version)
        result = (repository.load_watchlist(session, found.result_version)
                  if found.status == "approved" and found.result_version is not None else None)
    if watchlist is None:
        return found, "No watchlist version has been published yet."
    try:
        parsed = parse_changes(found.changes)
        if result is not None:
            return found, _entity_diffs(watchlist, result.entities, ch.touched(parsed),
                                        f"version {result.version}")
        return found, diff(watchlist, parsed)
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


def consequences(monitor: monitoring.Monitor, proposal_id: int) -> dict[str, Any]:
    """What approving the proposal would change now: ratings, watched holdings, identifiers
    already held by watched portfolios (see ``monitoring.consequences``)."""
    with monitor.store.read() as session:
        row = proposals.get(session, proposal_id)
        if row is None:
            raise NotFound(f"There is no proposal {proposal_id}.")
        found = proposals.info(row)
    current = monitor.snapshots.current()
    if current is None:
        raise Conflict("No watchlist version has been published yet.")
    parsed = parse_changes(found.changes)
    try:
        after = check(current.watchlist, parsed)
    except InvalidProposal as error:
        raise Conflict(f"The proposal no longer applies to version {current.version}: "
                       f"{error.message}", error.errors) from None
    return {"proposal_id": proposal_id, "status": found.status,
            **monitoring.consequences(monitor, after, ch.touched(parsed))}
