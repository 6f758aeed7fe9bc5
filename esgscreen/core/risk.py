"""Risk rules: an entity's rating from its flags.

The rules (also in the README and served by the API):

- ``red`` (exclusion grade): at least one *ongoing* flag of severity *critical*.
- ``orange``: otherwise, an *ongoing* *high* flag, or a *concluded* *critical* one.
- ``yellow``: otherwise, an *ongoing* *medium* flag, or a *concluded* *high* one.
- ``green``: on the watchlist with no open concern: no flags, or only *low* flags and
  *concluded* *medium* ones.

A flag is *weakly sourced* when every piece of its evidence has authority ``low`` (a blog,
repost, summary, aggregator or AI-written wiki): it counts one severity step lower, so it
cannot by itself make an entity red. A derived ownership-exposure flag is weakly sourced when a
link of its path rests only on low-authority evidence.

An identifier that is not on the watchlist gets no rating at all: "not found" is not "green".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from esgscreen.core.freshness import period_end, period_start
from esgscreen.core.model import Entity, Evidence, Flag, Relation

SEVERITY_ORDER = ("critical", "high", "medium", "low")

# The weak-source rule, as data: evidence of these authorities only makes a flag weakly
# sourced, and a weakly sourced flag counts this many severity steps lower.
WEAK_AUTHORITIES = ("low",)
WEAK_SOURCE_STEPS = 1


def weakly_sourced(evidence: Iterable[Evidence]) -> bool:
    """Whether every item of (non-empty) ``evidence`` is of a weak authority."""
    items = tuple(evidence)
    return bool(items) and all(e.authority in WEAK_AUTHORITIES for e in items)


def _lower(severity: str, steps: int) -> str:
    index = min(SEVERITY_ORDER.index(severity) + steps, len(SEVERITY_ORDER) - 1)
    return SEVERITY_ORDER[index]


def counted_severity(severity: str, weak: bool) -> str:
    """The severity a flag counts with in the rating: one step lower when weakly sourced."""
    return _lower(severity, WEAK_SOURCE_STEPS) if weak else severity


def flag_counted_severity(flag: Flag) -> str:
    return counted_severity(flag.severity, weakly_sourced(flag.evidence))


def weak_source_rule() -> dict[str, object]:
    """The weak-source rule as data, for the methodology the API serves."""
    return {
        "weakly_sourced_when": {"every_evidence_authority_in": list(WEAK_AUTHORITIES)},
        "severity_steps_lower": WEAK_SOURCE_STEPS,
        "effect": "a weakly sourced flag counts one severity step lower in the rating, so it "
        "cannot by itself make an entity red; the flag carries weakly_sourced: true",
        "ownership_exposure": "a derived flag is weakly sourced when a link of its path rests "
        "only on low-authority evidence; a flagged entity whose own flags are weakly sourced "
        "passes on its already lowered rating",
        "authorities": {
            "primary": "a government, court, regulator or company filing, or the researchers' "
            "own report",
            "established": "an established newsroom or NGO",
            "low": "a blog, repost, summary, aggregator or AI-written wiki",
        },
    }


# (severity, status) -> rating, checked from the worst rating down.
RATING_RULES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("red", (("critical", "ongoing"),)),
    ("orange", (("high", "ongoing"), ("critical", "concluded"))),
    ("yellow", (("medium", "ongoing"), ("high", "concluded"))),
)
RATING_ORDER = ("red", "orange", "yellow", "green")


def rate(flags: Iterable[Flag]) -> str:
    """The rating of an entity from its flags, each at its counted severity."""
    present = {(flag_counted_severity(f), f.status) for f in flags}
    for rating, triggers in RATING_RULES:
        if present.intersection(triggers):
            return rating
    return "green"


def worst(ratings: Iterable[str | None]) -> str | None:
    """The most severe of several ratings; None when none was given."""
    known = [r for r in ratings if r is not None]
    if not known:
        return None
    return min(known, key=RATING_ORDER.index)


def rating_rules() -> list[dict[str, object]]:
    """The rules as data, for the methodology the API serves."""
    rules: list[dict[str, object]] = [
        {
            "rating": rating,
            "when_any": [{"severity": s, "status": st} for s, st in triggers],
        }
        for rating, triggers in RATING_RULES
    ]
    rules.append({"rating": "green", "when_any": [], "otherwise": True})
    return rules


# ownership exposure ------------------------------------------------------------

EXPOSURE_CODE = "ownership_exposure"
MAX_CHAIN = 4  # owners further than this many links from a flagged entity are not followed
RATING_SEVERITY = {"red": "critical", "orange": "high", "yellow": "medium"}
CONTROL_WORDS = ("majority", "control", "subsidiary", "wholly", "parent", "acquir", "100%")
# Links through which an entity stands in for another whole: a SPAC that merged into a
# vendor, a former name, a brand.
FULL_LINKS = {"merged_into", "formerly_known_as", "brand_of"}


@dataclass(frozen=True, slots=True)
class ExposureStep:
    holder: str  # the entity nearer the screened one
    held: str  # the entity nearer the flagged one
    relation: str  # owns | controls | merged_into | formerly_known_as | brand_of
    share: float | None
    share_text: str | None
    until: str | None
    since: str | None = None


@dataclass(frozen=True, slots=True)
class Exposure:
    target: str  # the flagged entity the path leads to
    target_rating: str
    target_codes: tuple[str, ...]  # codes of the target's own open flags
    path: tuple[ExposureStep, ...]
    share: float | None  # effective percent through the path; None when a step's is unknown
    weak: bool  # a step's stake was not stated: a reported investment only
    severity: str
    status: str
    evidence: tuple[Evidence, ...]
    weakly_sourced: bool = False  # a link of the path rests only on low-authority evidence

    @property
    def counted_severity(self) -> str:
        return counted_severity(self.severity, self.weakly_sourced)


def _step_share(relation: Relation) -> tuple[float | None, str]:
    if relation.type in FULL_LINKS:
        return 100.0, relation.type
    if relation.share is not None:
        return relation.share, "owns"
    text = (relation.share_text or "").lower()
    if relation.type == "subsidiary_of" or any(w in text for w in CONTROL_WORDS):
        return 50.0, "controls"
    return None, "owns"


def _links(entities: Mapping[str, Entity]) -> dict[str, list[tuple[str, ExposureStep, Relation]]]:
    """For each flagged-side entity, the entities that hold it (edges walked upwards)."""
    holders: dict[str, list[tuple[str, ExposureStep, Relation]]] = {}
    for entity in entities.values():
        for relation in entity.relations:
            if relation.target not in entities:
                continue
            share, kind = _step_share(relation)
            if relation.type in ("owned_by", "subsidiary_of", "formerly_known_as"):
                holder, held = relation.target, entity.id
            else:  # merged_into, brand_of: this entity stands for the target
                holder, held = entity.id, relation.target
            step = ExposureStep(holder, held, kind, share, relation.share_text, relation.until,
                                relation.since)
            holders.setdefault(held, []).append((holder, step, relation))
    return holders


def _coexisted(path: tuple[ExposureStep, ...]) -> bool:
    """Whether the links of a chain could all have held at one time.

    A partial date is read in the link's favour: a ``since`` from the first day of its period,
    an ``until`` to the last, so only links whose dates plainly never overlap break a chain
    (Bull's hold on Nexa ended in 2012; Atos bought Bull in 2014).
    """
    starts = [s.since for s in path if s.since]
    ends = [s.until for s in path if s.until]
    if not starts or not ends:
        return True
    return period_start(max(starts, key=period_start)) <= period_end(min(ends, key=period_end))


# (smallest stake in percent, severity steps below the target's grade, what it means)
STAKE_RULES: tuple[tuple[int, int, str], ...] = (
    (50, 0, "keeps the target's severity (control)"),
    (10, 1, "one step lower"),
    (0, 2, "two steps lower"),
)
UNSTATED_STAKE = ("low", "a reported investment, stake not stated")


def exposure_severity(target_rating: str, share: float | None) -> str:
    """Severity of a derived flag: the target's grade, lowered by ``STAKE_RULES`` as the stake
    gets smaller; a stake that was not stated gives ``low`` (a weak, reported-investment
    signal)."""
    if share is None:
        return UNSTATED_STAKE[0]
    base = RATING_SEVERITY[target_rating]
    steps = next(steps for least, steps, _ in STAKE_RULES if share >= least)
    return _lower(base, steps)


def exposure_rules() -> dict[str, object]:
    """How ownership exposure is derived, as data, for the methodology the API serves."""
    return {
        "code": EXPOSURE_CODE,
        "target_severity": dict(RATING_SEVERITY),
        "stake_rules": [{"min_share": least, "effect": effect}
                        for least, _, effect in STAKE_RULES]
        + [{"share": None, "effect": f"{UNSTATED_STAKE[0]}: {UNSTATED_STAKE[1]}"}],
        "chains": f"shares multiply along a chain of owners, up to {MAX_CHAIN} links; cycles "
        "are cut, and a chain whose links never held at one time (one ended before another "
        "began, partial dates read in the link's favour) carries nothing",
        "links": "a SPAC that merged into a vendor, a former name and a brand carry the whole "
        "of the vendor's rating; a subsidiary or a 'majority'/'control' stake counts as 50%",
        "status": "concluded when any link in the path has ended",
    }


def derive_exposures(
    entities: Mapping[str, Entity], own_ratings: Mapping[str, str]
) -> dict[str, tuple[Exposure, ...]]:
    """Every entity's exposure to flagged entities it owns, directly or through a chain.

    Cycles are cut (an entity is never visited twice on one path), and so is a chain whose
    links never held at one time (one ended before another began); only targets rated red,
    orange or yellow by their own flags lead to exposure. For each holder and target the
    path that weighs most in the rating is kept (an ongoing one among equals).
    """
    holders = _links(entities)
    found: dict[str, dict[str, Exposure]] = {}
    for target, rating in own_ratings.items():
        if rating not in RATING_SEVERITY:
            continue
        target_entity = entities[target]
        codes = tuple(sorted({f.code for f in target_entity.flags if f.status == "ongoing"}))
        target_evidence = next((f.evidence[:1] for f in _by_severity(target_entity.flags)), ())
        stack: list[tuple[str, tuple[ExposureStep, ...], tuple[Relation, ...]]] = [
            (target, (), ())
        ]
        while stack:
            held, path, relations = stack.pop()
            if len(path) >= MAX_CHAIN:
                continue
            for holder, step, relation in holders.get(held, ()):
                if holder == target or any(s.holder == holder for s in path):
                    continue  # a cycle
                new_path = (step, *path)
                if not _coexisted(new_path):
                    continue  # its links never held at one time: the chain carries nothing
                new_relations = (relation, *relations)
                exposure = _exposure(target, rating, codes, new_path, new_relations,
                                     target_evidence)
                kept = found.setdefault(holder, {}).get(target)
                if kept is None or _worse(exposure, kept):
                    found[holder][target] = exposure
                stack.append((holder, new_path, new_relations))
    return {
        holder: tuple(sorted(by_target.values(), key=_exposure_order))
        for holder, by_target in found.items()
    }


def _by_severity(flags: Iterable[Flag]) -> list[Flag]:
    return sorted(
        flags,
        key=lambda f: (f.status != "ongoing", SEVERITY_ORDER.index(flag_counted_severity(f))),
    )


def _exposure(
    target: str,
    rating: str,
    codes: tuple[str, ...],
    path: tuple[ExposureStep, ...],
    relations: tuple[Relation, ...],
    target_evidence: tuple[Evidence, ...],
) -> Exposure:
    share: float | None = 100.0
    for step in path:
        share = None if share is None or step.share is None else share * step.share / 100
    evidence: list[Evidence] = []
    for relation in relations:
        evidence.extend(e for e in relation.evidence if e not in evidence)
    evidence.extend(e for e in target_evidence if e not in evidence)
    return Exposure(
        target=target,
        target_rating=rating,
        target_codes=codes,
        path=path,
        share=share,
        weak=share is None,
        severity=exposure_severity(rating, share),
        status="concluded" if any(s.until for s in path) else "ongoing",
        evidence=tuple(evidence),
        weakly_sourced=any(weakly_sourced(r.evidence) for r in relations),
    )


def _exposure_order(exposure: Exposure) -> tuple[int, int, int, int, int]:
    # The path that weighs most in the rating first (a concluded critical one, orange, ahead
    # of an ongoing low one, green); among equals, an ongoing path ahead of a concluded one.
    contribution = rate([Flag(EXPOSURE_CODE, exposure.counted_severity, exposure.status, None,
                              "", ())])
    return (
        RATING_ORDER.index(contribution),
        exposure.status != "ongoing",
        SEVERITY_ORDER.index(exposure.counted_severity),
        exposure.weakly_sourced,
        len(exposure.path),
    )


def _worse(a: Exposure, b: Exposure) -> bool:
    return _exposure_order(a) < _exposure_order(b)


def exposure_flag(exposure: Exposure, names: Mapping[str, str]) -> Flag:
    """The derived ``ownership_exposure`` flag an exposure gives its holder."""
    return Flag(
        code=EXPOSURE_CODE,
        severity=exposure.severity,
        status=exposure.status,
        since=None,
        summary=describe_exposure(exposure, names),
        evidence=exposure.evidence,
    )


def describe_exposure(exposure: Exposure, names: Mapping[str, str]) -> str:
    parts = []
    for step in exposure.path:
        holder, held = names.get(step.holder, step.holder), names.get(step.held, step.held)
        if step.relation == "merged_into":
            parts.append(f"{holder} merged into {held}")
        elif step.relation == "formerly_known_as":
            parts.append(f"{holder} is the former name of {held}")
        elif step.relation == "brand_of":
            parts.append(f"{holder} is a brand of {held}")
        elif step.share is not None and step.relation == "owns":
            parts.append(f"{holder} owns {step.share:g}% of {held}")
        elif step.relation == "controls":
            stake = f" ({step.share_text})" if step.share_text else ""
            parts.append(f"{holder} controls {held}{stake}")
        else:
            parts.append(f"{holder} has a reported investment in {held} (stake not stated)")
        if step.until:
            parts[-1] += f" until {step.until}"
    target = names.get(exposure.target, exposure.target)
    text = "; ".join(parts).rstrip(".") + f". {target} is rated {exposure.target_rating}."
    if exposure.weak:
        text += " Weak signal: the stake was not stated."
    if exposure.weakly_sourced:
        text += (
            " Weakly sourced: a link rests only on low-authority sources, so it counts as "
            f"{exposure.counted_severity}."
        )
    return text


def rate_with_exposure(flags: Iterable[Flag], exposures: Iterable[Exposure]) -> str:
    """The rating from an entity's own flags and the derived ones together."""
    derived = [Flag(EXPOSURE_CODE, x.counted_severity, x.status, None, "", ()) for x in exposures]
    return rate([*flags, *derived])


def weak_source_notes(flags: Iterable[Flag], exposures: Iterable[Exposure] = ()) -> list[str]:
    """One sentence per weakly sourced flag (own or derived), saying what it counts as."""
    notes = [
        f"The {f.severity} {f.code} flag rests only on low-authority sources (weakly sourced), "
        f"so it counts as {flag_counted_severity(f)}."
        for f in flags
        if weakly_sourced(f.evidence)
    ]
    notes += [
        f"The {x.severity} ownership exposure to {x.target} rests on a low-authority link "
        f"(weakly sourced), so it counts as {x.counted_severity}."
        for x in exposures
        if x.weakly_sourced
    ]
    return notes
