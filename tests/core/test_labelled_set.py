"""Precision and recall on labelled screening cases against the bundled watchlist.

Scored as ../shared/eval/run_eval.py scores a server: a positive case (expect is a regex) is a
hit when the status is "match" and the regex finds the top candidate's name or an alias
(lower case); a negative case (expect null) is a false positive when the status is "match"; an
invalid identifier (the 422 a server would answer) is a correct rejection of a negative and a
miss for a positive. A hit on the wrong entity counts against precision too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from esgscreen.core.errors import CoreError
from esgscreen.core.matching import Matcher, parse_query
from esgscreen.core.model import Entity
from esgscreen.watchlist.files import read_watchlist

ROOT = Path(__file__).resolve().parents[2]
LABELLED = Path(__file__).with_name("labelled_cases.jsonl")
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"


@dataclass
class Score:
    positives: int = 0
    negatives: int = 0
    tp: int = 0
    fp: int = 0
    review: int = 0
    failures: tuple[str, ...] = ()

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.positives if self.positives else 0.0


@pytest.fixture(scope="module")
def entities() -> dict[str, Entity]:
    watchlist = read_watchlist(ROOT / "watchlist")
    assert len(watchlist.entities) > 50, "the bundled watchlist looks empty"
    return dict(watchlist.entities)


@pytest.fixture(scope="module")
def matcher(entities: dict[str, Entity]) -> Matcher:
    return Matcher(entities.values())


def evaluate(path: Path, matcher: Matcher, entities: dict[str, Entity]) -> Score:
    score = Score()
    failures = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        expect = case["expect"]
        score.positives += bool(expect)
        score.negatives += not expect
        try:
            outcome = matcher.match(parse_query(case["params"]))
        except CoreError as error:
            if expect:
                failures.append(f"{case['id']}: rejected ({error})")
            continue
        top = ""
        if outcome.candidates:
            entity = entities[outcome.candidates[0].entity_id]
            top = " | ".join([entity.name, *entity.alias_names]).lower()
        matched = outcome.status == "match"
        if expect and matched and re.search(expect, top):
            score.tp += 1
        elif matched:
            score.fp += 1
            failures.append(f"{case['id']}: false match {top[:60]!r} for {case['params']}")
        elif expect:
            score.review += outcome.status == "possible_match"
            failures.append(f"{case['id']}: {outcome.status} for {case['params']}")
    score.failures = tuple(failures)
    return score


def test_labelled_set_is_large_and_varied() -> None:
    cases = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    assert len(cases) >= 150
    assert len({case["id"] for case in cases}) == len(cases)
    kinds = {case["id"][0] for case in cases}
    assert kinds >= {"n", "y", "s", "i", "t", "h", "x"}  # names, typos, scripts, ids, negatives
    assert sum(case["expect"] is None for case in cases) >= 100
    # Names as registries write them: legal forms in full, places, decorations, conflicting
    # identifiers, common words, other scripts; at least half of them hard negatives.
    registry = [case for case in cases if re.fullmatch(r"[fpdcok]\d{3}", case["id"])]
    assert {case["id"][0] for case in registry} == set("fpdcok")
    assert len(registry) >= 150
    assert 2 * sum(case["expect"] is None for case in registry) >= len(registry)


def test_labelled_set_precision_and_recall(
    matcher: Matcher, entities: dict[str, Entity]
) -> None:
    score = evaluate(LABELLED, matcher, entities)
    report = "\n".join(score.failures)
    assert score.precision >= 0.99, report
    assert score.recall >= 0.95, report


@pytest.mark.skipif(not DEV.is_file(), reason="shared/eval/dev.jsonl is not beside the repo")
def test_dev_set_precision_and_recall(matcher: Matcher, entities: dict[str, Entity]) -> None:
    score = evaluate(DEV, matcher, entities)
    report = "\n".join(score.failures)
    assert score.precision >= 0.99, report
    assert score.recall >= 0.95, report
