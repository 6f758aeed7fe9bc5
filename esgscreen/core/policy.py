"""Policies: what a mandate does about a screening result.

A policy maps the match status and the rating to an action, and may add stricter rules:
an action for entities with an open flag of given codes, and for owners whose exposure
leads to an entity with such flags through at least a given stake. The most severe action
any rule gives wins; every rule that fired is named in the reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from esgscreen.core.model import Flag
from esgscreen.core.risk import Exposure

ACTIONS = ("exclude", "restrict", "review", "clear")  # most severe first


@dataclass(frozen=True, slots=True)
class CodeRule:
    codes: tuple[str, ...]
    action: str


@dataclass(frozen=True, slots=True)
class ExposureRule:
    codes: tuple[str, ...]  # the flagged entity's open codes; empty: any flagged entity
    min_share: float  # effective stake, percent
    action: str
    include_unstated: bool = False  # also when the stake was not stated


@dataclass(frozen=True, slots=True)
class Policy:
    id: str
    title: str
    description: str
    rating_actions: Mapping[str, str]
    possible_match: str = "review"
    code_rules: tuple[CodeRule, ...] = ()
    exposure_rules: tuple[ExposureRule, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    action: str
    reasons: tuple[str, ...]


def most_severe(actions: Iterable[str]) -> str:
    return min(actions, key=ACTIONS.index, default="clear")


def decide(
    policy: Policy,
    status: str,
    rating: str | None,
    flags: Iterable[Flag] = (),
    exposures: Iterable[Exposure] = (),
) -> Decision:
    if status == "no_match":
        return Decision("clear", ("not on the watchlist",))
    if status == "possible_match":
        return Decision(policy.possible_match, ("possible match: a person should confirm it",))
    found: list[tuple[str, str]] = []
    if rating is not None:
        found.append((policy.rating_actions[rating], f"rated {rating}"))
    open_codes = {f.code for f in flags if f.status == "ongoing"}
    for rule in policy.code_rules:
        hit = open_codes.intersection(rule.codes)
        if hit:
            found.append((rule.action, "open flag " + ", ".join(sorted(hit))))
    for exposure in exposures:
        if exposure.status != "ongoing":
            continue
        for stake_rule in policy.exposure_rules:
            codes = stake_rule.codes
            if codes and not set(exposure.target_codes).intersection(codes):
                continue
            if exposure.share is None:
                if not stake_rule.include_unstated:
                    continue
                stake = "an unstated stake"
            elif exposure.share < stake_rule.min_share:
                continue
            else:
                stake = f"{exposure.share:g}%"
            found.append((stake_rule.action, f"owns {stake} of {exposure.target}"))
    if not found:
        return Decision("clear", ())
    action = most_severe(a for a, _ in found)
    return Decision(action, tuple(reason for a, reason in found if a == action))
