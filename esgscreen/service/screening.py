"""A screening answer in the SPEC's contract, built from a watchlist snapshot.

A ``Snapshot`` is one watchlist version made ready to answer from: the matcher's indexes,
each entity's rating, and each entity's JSON-ready view, all built once per version and then
only read (safely shared by threads).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from esgscreen.core import bounds
from esgscreen.core.errors import InvalidIdentifier, InvalidQuery
from esgscreen.core.freshness import (
    DEFAULT_REVIEW_YEARS,
    DueFlag,
    latest_evidence,
    review_due,
    review_queue,
)
from esgscreen.core.matching import Candidate, Matcher, MatchOutcome, Query, parse_query
from esgscreen.core.model import Entity, Evidence, Flag, Identifier, Revision, Watchlist
from esgscreen.core.policy import Policy, decide
from esgscreen.core.query import QUERY_FIELDS
from esgscreen.core.risk import (
    Exposure,
    derive_exposures,
    describe_exposure,
    exposure_flag,
    rate,
    rate_with_exposure,
    weak_source_notes,
    weakly_sourced,
)
from esgscreen.service.dispositions import DispositionBook, HoldingBook


def evidence_view(item: Evidence) -> dict[str, Any]:
    return {"url": item.url, "publisher": item.publisher, "authority": item.authority,
            "date": item.date, "title": item.title}


def flag_view(
    flag: Flag,
    today: date,
    review_years: int = DEFAULT_REVIEW_YEARS,
    exposure: Exposure | None = None,
) -> dict[str, Any]:
    """A flag as answers show it. A derived flag (``exposure`` given) is weakly sourced when its
    path is, and never review due: it follows its target's own flags."""
    return {
        "code": flag.code,
        "severity": flag.severity,
        "status": flag.status,
        "since": flag.since,
        "summary": flag.summary,
        "evidence": [evidence_view(e) for e in flag.evidence],
        "weakly_sourced": (
            exposure.weakly_sourced if exposure is not None else weakly_sourced(flag.evidence)
        ),
        "latest_evidence": latest_evidence(flag.evidence),
        "review_due": exposure is None and review_due(flag, today, review_years),
    }


def identifier_view(identifier: Identifier) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": identifier.type,
        "value": identifier.value,
        "confidence": identifier.confidence,
    }
    if identifier.exchange:
        view["exchange"] = identifier.exchange
    if identifier.source:
        view["source"] = identifier.source
    if identifier.note:
        view["note"] = identifier.note
    return view


def exposure_view(exposure: Exposure, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "target": {"id": exposure.target, "name": names[exposure.target],
                   "rating": exposure.target_rating, "codes": list(exposure.target_codes)},
        "path": [
            {
                "holder": step.holder,
                "held": step.held,
                "relation": step.relation,
                "share": step.share,
                "share_text": step.share_text,
                "until": step.until,
            }
            for step in exposure.path
        ],
        "share": exposure.share,
        "weak": exposure.weak,
        "weakly_sourced": exposure.weakly_sourced,
        "severity": exposure.severity,
        "status": exposure.status,
        "explanation": describe_exposure(exposure, names),
    }


def entity_summary(entity: Entity, revision: Revision | None = None) -> dict[str, Any]:
    return {
        "id": entity.id,
        "name": entity.name,
        "aliases": list(entity.alias_names),
        "kind": entity.kind,
        "country": entity.country,
        "identifiers": [identifier_view(i) for i in entity.identifiers],
        "last_reviewed": (
            {"version": revision.version, "date": revision.date} if revision else None
        ),
    }


@dataclass(frozen=True)
class Snapshot:
    watchlist: Watchlist
    matcher: Matcher
    ratings: Mapping[str, str]
    exposures: Mapping[str, tuple[Exposure, ...]]
    summaries: Mapping[str, dict[str, Any]] = field(repr=False)
    flags: Mapping[str, list[dict[str, Any]]] = field(repr=False)
    exposure_views: Mapping[str, list[dict[str, Any]]] = field(repr=False)
    # Each entity's unchanging part of a match, encoded once: the hot path splices it in.
    entity_json: Mapping[str, str] = field(repr=False, default_factory=dict)
    tail_json: Mapping[str, str] = field(repr=False, default_factory=dict)
    # Sentences on weakly sourced flags, added to a match's explanation ("" when none).
    rating_notes: Mapping[str, str] = field(repr=False, default_factory=dict)
    # The day review-due flags were judged on, the age that makes them due, and the queue.
    today: date = field(default_factory=date.today)
    review_years: int = DEFAULT_REVIEW_YEARS
    review_due: tuple[DueFlag, ...] = ()

    @classmethod
    def build(
        cls,
        watchlist: Watchlist,
        today: date | None = None,
        review_years: int = DEFAULT_REVIEW_YEARS,
    ) -> Snapshot:
        today = today or date.today()
        entities = watchlist.entities
        names = {e.id: e.name for e in entities.values()}
        own = {e.id: rate(e.flags) for e in entities.values()}
        exposures = derive_exposures(entities, own)
        ratings = {
            eid: rate_with_exposure(e.flags, exposures.get(eid, ()))
            for eid, e in entities.items()
        }
        summaries = {
            eid: entity_summary(e, watchlist.revisions.get(eid)) for eid, e in entities.items()
        }
        flags = {
            eid: [flag_view(f, today, review_years) for f in e.flags]
            + [flag_view(exposure_flag(x, names), today, review_years, x)
               for x in exposures.get(eid, ())]
            for eid, e in entities.items()
        }
        exposure_views = {
            eid: [exposure_view(x, names) for x in xs] for eid, xs in exposures.items()
        }
        notes = {
            eid: " ".join(weak_source_notes(e.flags, exposures.get(eid, ())))
            for eid, e in entities.items()
        }
        return cls(
            watchlist=watchlist,
            matcher=Matcher(entities.values()),
            ratings=ratings,
            exposures=exposures,
            summaries=summaries,
            flags=flags,
            exposure_views=exposure_views,
            entity_json={eid: _json(summary) for eid, summary in summaries.items()},
            tail_json={
                eid: _json({"rating": ratings[eid], "flags": flags[eid],
                            "exposure": exposure_views.get(eid, [])})[1:-1]
                for eid in entities
            },
            rating_notes={eid: note for eid, note in notes.items() if note},
            today=today,
            review_years=review_years,
            review_due=tuple(review_queue(entities.values(), today, review_years)),
        )

    @property
    def version(self) -> int:
        return self.watchlist.version

    @property
    def state(self) -> str:
        """What an answer depends on besides the query: the version and the day review-due
        flags were judged on (caches and ETags key on it)."""
        return f"{self.version}.{self.today:%Y%m%d}"

    def explanation(self, entity_id: str, match_explanation: str) -> str:
        """A match's explanation, with what the weak-source rule did to the rating."""
        note = self.rating_notes.get(entity_id)
        return f"{match_explanation} {note}" if note else match_explanation


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _decision(snapshot: Snapshot, outcome: MatchOutcome, policy: Policy
              ) -> tuple[str | None, Any]:
    top = outcome.candidates[0].entity_id if outcome.candidates else None
    rating = snapshot.ratings[top] if outcome.status == "match" and top else None
    decision = decide(
        policy,
        outcome.status,
        rating,
        snapshot.watchlist.entities[top].flags if top else (),
        snapshot.exposures.get(top, ()) if top else (),
    )
    return rating, decision




def _candidate_json(snapshot: Snapshot, candidate: Candidate,
                    marks: Mapping[str, dict[str, Any]] | None) -> str:
    eid = candidate.entity_id
    mark = marks.get(eid) if marks else None
    extra = f',"disposition":{_json(mark)}' if mark is not None else ""
    return (f'{{"entity":{snapshot.entity_json[eid]},'
            f'"score":{_json(round(candidate.score, 4))},'
            f'"matched_on":{_json(list(candidate.matched_on))},'
            f'"explanation":{_json(snapshot.explanation(eid, candidate.explanation))},'
            f"{snapshot.tail_json[eid]}{extra}}}")


# What the screening log keeps of an answer: status, rating, action, best entity id, and the
# query as understood (JSON text, as encoded for the answer).
Summary = tuple[str, "str | None", str, "str | None", str]


def answer_parts(snapshot: Snapshot, outcome: MatchOutcome, policy: Policy,
                 book: DispositionBook | None = None) -> tuple[str, Summary]:
    """The answer in the SPEC's contract as JSON text, spliced from the snapshot's pre-encoded
    parts (the one encoder of an answer: ``answer`` reads it back), with what the screening
    log keeps of it. ``book``'s dispositions mark candidates and suppress false positives."""
    review = book.review(snapshot, outcome) if book is not None else None
    marks: Mapping[str, dict[str, Any]] | None = None
    suppressed = ""
    if review is not None:
        outcome, marks = review.outcome, review.marks
        if review.suppressed:
            suppressed = ',"suppressed":[' + ",".join(
                _candidate_json(snapshot, c, marks) for c in review.suppressed) + "]"
    rating, decision = _decision(snapshot, outcome, policy)
    head = _json({
        "status": outcome.status,
        "action": decision.action,
        "rating": rating,
        "watchlist_version": snapshot.version,
        "policy": {"id": policy.id, "reasons": list(decision.reasons)},
    })
    matches = ",".join(_candidate_json(snapshot, c, marks) for c in outcome.candidates)
    query = _json(outcome.query)
    text = f'{head[:-1]},"matches":[{matches}]{suppressed},"query":{query}}}'
    best = outcome.candidates[0].entity_id if outcome.candidates else None
    return text, (outcome.status, rating, decision.action, best, query)


def answer_json(snapshot: Snapshot, outcome: MatchOutcome, policy: Policy,
                book: DispositionBook | None = None) -> str:
    return answer_parts(snapshot, outcome, policy, book)[0]


def answer(snapshot: Snapshot, outcome: MatchOutcome, policy: Policy,
           book: DispositionBook | None = None) -> dict[str, Any]:
    """The answer as a dict, for pages and callers that read it rather than send it."""
    result: dict[str, Any] = json.loads(answer_json(snapshot, outcome, policy, book))
    return result


def match_query(snapshot: Snapshot, params: Mapping[str, Any], limit: int = 5) -> MatchOutcome:
    """Match one subject; raises the core's InvalidIdentifier / InvalidQuery on bad input."""
    query: Query = parse_query({k: params.get(k) for k in QUERY_FIELDS})
    return snapshot.matcher.match(query, limit=limit)


def screen(
    snapshot: Snapshot, params: Mapping[str, Any], policy: Policy, limit: int = 5,
    book: DispositionBook | None = None,
) -> dict[str, Any]:
    """Screen one subject; raises the core's InvalidIdentifier / InvalidQuery on bad input."""
    return answer(snapshot, match_query(snapshot, params, limit), policy, book)


def screen_json(
    snapshot: Snapshot, params: Mapping[str, Any], policy: Policy, limit: int = 5,
    book: DispositionBook | None = None,
) -> str:
    """``screen`` as JSON text, for the HTTP hot path."""
    return answer_json(snapshot, match_query(snapshot, params, limit), policy, book)


def screen_parts(
    snapshot: Snapshot, params: Mapping[str, Any], policy: Policy, limit: int = 5,
    book: DispositionBook | None = None,
) -> tuple[str, Summary]:
    """``screen_json`` with what the screening log keeps of the answer."""
    return answer_parts(snapshot, match_query(snapshot, params, limit), policy, book)


# batches ---------------------------------------------------------------------


def _batch_row(snapshot: Snapshot, ref: Any, outcome: MatchOutcome, policy: Policy,
               weight: float | None, book: DispositionBook | HoldingBook | None) -> dict[str, Any]:
    review = None
    if book is not None and outcome.candidates and book.concerns(outcome.candidates[0].entity_id):
        # A disposition may suppress the best candidate: look at the next ones too.
        outcome = snapshot.matcher.match(outcome.understood, limit=5)
        review = book.review(snapshot, outcome)
        if review is not None:
            outcome = MatchOutcome(review.outcome.status, review.outcome.candidates[:1],
                                   outcome.understood)
    top = outcome.candidates[0] if outcome.candidates else None
    rating, decision = _decision(snapshot, outcome, policy)
    row: dict[str, Any] = {
        "ref": ref,
        "status": outcome.status,
        "action": decision.action,
        "rating": rating,
        "weight": weight,
    }
    if top is not None:
        entity = snapshot.watchlist.entities[top.entity_id]
        row["match"] = {
            "entity": {"id": entity.id, "name": entity.name},
            "score": round(top.score, 4),
            "matched_on": list(top.matched_on),
            "explanation": snapshot.explanation(entity.id, top.explanation),
            "rating": snapshot.ratings[entity.id],
            "flags": [
                {"code": f["code"], "severity": f["severity"], "status": f["status"],
                 "weakly_sourced": f["weakly_sourced"], "review_due": f["review_due"]}
                for f in snapshot.flags[entity.id]
            ],
        }
        if review is not None and entity.id in review.marks:
            row["match"]["disposition"] = review.marks[entity.id]
    if review is not None and review.suppressed:
        row["suppressed"] = [
            {"entity": {"id": c.entity_id, "name": snapshot.watchlist.entities[c.entity_id].name},
             "score": round(c.score, 4), "disposition": review.marks[c.entity_id]}
            for c in review.suppressed
        ]
    row["reasons"] = list(decision.reasons)
    return row


QUERY_LIMITS = {
    **dict.fromkeys(("q", "name", "domain"), bounds.QUERY_TEXT),
    **dict.fromkeys(("isin", "lei", "cik", "cusip", "figi", "ticker"), bounds.IDENTIFIER),
    "exchange": bounds.EXCHANGE,
}


def _warning(field_name: str, message: str) -> dict[str, str]:
    return {"field": field_name, "message": message}


def _item_params(item: Mapping[str, Any], warnings: list[dict[str, str]]
                 ) -> dict[str, str | None]:
    """The item's screening fields that are usable text; a warning for each that is not."""
    params: dict[str, str | None] = {}
    for key in QUERY_FIELDS:
        value = item.get(key)
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # a CIK or ticker sent as a number
        if not isinstance(value, str):
            warnings.append(_warning(key, f"{key} must be text; it was left out."))
            continue
        try:
            params[key] = bounds.check_text(key, value, QUERY_LIMITS[key])
        except InvalidQuery as error:
            warnings.append(_warning(key, f"{error.message[:-1]}; it was left out."))
    return params


def _item_query(item: Mapping[str, Any], warnings: list[dict[str, str]]) -> Query:
    """The query from the item's usable fields: a field that cannot be read (a bad checksum,
    an unknown exchange) is left out with a warning and the others are screened. Raises
    InvalidQuery or InvalidIdentifier when nothing usable remains."""
    params = _item_params(item, warnings)
    while True:
        try:
            return parse_query(params)
        except (InvalidIdentifier, InvalidQuery) as error:
            field_name = error.field or "item"
            others = [k for k, v in params.items() if k != field_name and v and v.strip()]
            if field_name not in params or not others:
                if warnings and isinstance(error, InvalidQuery) and field_name not in params:
                    first = warnings.pop(0)
                    raise InvalidQuery(first["message"], field=first["field"]) from None
                raise
            message = (f"Invalid {field_name}: {error.message}"
                       if isinstance(error, InvalidIdentifier) else error.message)
            warnings.append(_warning(field_name, f"{message.rstrip('.')}; it was left out."))
            del params[field_name]


def screen_batch(
    snapshot: Snapshot, items: list[Any], policy: Policy,
    book: DispositionBook | HoldingBook | None = None,
) -> dict[str, Any]:
    """Screen a portfolio. Each item is screened by the fields of it that can be read, with a
    ``warnings`` entry naming each field left out; an item with nothing usable gets an
    ``error`` in its own row; the rest go on."""
    rows: list[dict[str, Any]] = []
    by_status = dict.fromkeys(("match", "possible_match", "no_match", "error"), 0)
    by_action = dict.fromkeys(("exclude", "restrict", "review", "clear"), 0)
    # Weight held in each rating; unconfirmed and unlisted holdings in their own buckets.
    exposure = dict.fromkeys(
        ("red", "orange", "yellow", "green", "possible_match", "no_match"), 0.0
    )
    total_weight = 0.0
    with_warnings = 0
    matcher = snapshot.matcher
    for index, item in enumerate(items):
        warnings: list[dict[str, str]] = []
        ref: Any = index
        weight: float | None = None
        try:
            if not isinstance(item, Mapping):
                raise InvalidQuery("Each item must be a JSON object.", field="item")
            ref = item.get("ref", index)
            if not isinstance(ref, str | int) or isinstance(ref, bool) or (
                    isinstance(ref, str) and len(ref) > bounds.SHORT_TEXT):
                warnings.append(_warning("ref", "ref must be text of at most "
                                         f"{bounds.SHORT_TEXT} characters or a number; the "
                                         "item's position is used instead."))
                ref = index
            if item.get("weight") is not None:
                try:
                    weight = bounds.weight_value(item["weight"])
                except ValueError as error:
                    warnings.append(_warning("weight", f"{str(error).rstrip('.')}; the "
                                             "holding is screened without it."))
            outcome = matcher.match(_item_query(item, warnings), limit=1)
        except (InvalidIdentifier, InvalidQuery) as error:
            row: dict[str, Any] = {"ref": ref, "status": "error", "error": {
                "field": error.field or "item", "message": error.message}}
            if warnings:
                row["warnings"] = warnings
            rows.append(row)
            by_status["error"] += 1
            continue
        row = _batch_row(snapshot, ref, outcome, policy, weight, book)
        if warnings:
            row["warnings"] = warnings
            with_warnings += 1
        rows.append(row)
        by_status[row["status"]] += 1
        by_action[row["action"]] += 1
        if weight is not None:
            total_weight += weight
            exposure[row["rating"] or row["status"]] += weight
    return {
        "watchlist_version": snapshot.version,
        "policy": policy.id,
        "summary": {
            "items": len(items),
            "by_status": by_status,
            "by_action": by_action,
            "with_warnings": with_warnings,
            "weight": {"total": total_weight, "by_rating": exposure},
        },
        "results": rows,
    }


class AnswerCache:
    """Single-screen answers a worker already gave, by snapshot state, dispositions
    generation and query string, each with its log summary.

    An answer depends only on the version, the day review-due flags were judged on, the
    dispositions, the query and the policy (the policy is in the query string), so repeated
    checks (the same securities before every trade) skip matching. It holds at most
    ``capacity`` answers and empties when full; 0 turns it off. Lookups and stores are single
    dict operations, safe under threads; ``hits`` and ``misses`` are counted for the metrics
    (a lost increment under threads does not matter).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._answers: dict[tuple[str, int, bytes], tuple[str, Summary]] = {}

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, state: str, generation: int, query: bytes,
            compute: Callable[[], tuple[str, Summary]]) -> tuple[str, Summary]:
        """The answer to ``query`` in a snapshot ``state`` (``Snapshot.state``) and a
        dispositions ``generation``."""
        if self.capacity <= 0:
            self.misses += 1
            return compute()
        key = (state, generation, query)
        found = self._answers.get(key)
        if found is None:
            self.misses += 1
            found = compute()
            if len(self._answers) >= self.capacity:
                self._answers.clear()
            self._answers[key] = found
        else:
            self.hits += 1
        return found


def joined_summaries(summaries: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Batch summaries added up, as if the batches had been one."""
    total: dict[str, Any] = {"items": 0, "by_status": {}, "by_action": {},
                             "weight": {"total": 0.0, "by_rating": {}}}
    for summary in summaries:
        for key, count in summary.items():
            if isinstance(count, int) and not isinstance(count, bool):
                total[key] = total.get(key, 0) + count  # items, with_warnings …
        for part in ("by_status", "by_action"):
            for key, count in summary[part].items():
                total[part][key] = total[part].get(key, 0) + count
        total["weight"]["total"] += summary["weight"]["total"]
        for key, weight in summary["weight"]["by_rating"].items():
            total["weight"]["by_rating"][key] = total["weight"]["by_rating"].get(key, 0.0) + weight
    return total
