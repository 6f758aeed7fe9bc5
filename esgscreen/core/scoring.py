"""Name scoring: how a query name compares with one watchlist name, and the line explaining it.

Scores come from the one table in `esgscreen.core.scores`; the rules are described in words in
`esgscreen.core.matching`. Everything here is pure and works on `NormalisedName` values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from esgscreen.core.names import (
    NormalisedName,
    Place,
    common_word,
    compatible_legal_families,
    legal_forms_agree,
    short_cjk,
)
from esgscreen.core.scores import MATCH_THRESHOLD, POSSIBLE_CAP, POSSIBLE_THRESHOLD, SCORES

__all__ = ["PARENT_WORDS", "TYPO_MIN_LENGTH", "Candidate", "NameEntry", "NameScore", "explain",
           "make_candidate", "score_name", "typo", "weak_name"]

TYPO_MIN_LENGTH = 9  # shorter words must be spelt exactly to match (8 letters: see typo)
SHORT_NAME = 4  # a one-word Latin name this short must come with its legal form, if it has one
PARENT_WORDS = frozenset({"group", "holding"})  # a name may leave these out and stay the company's
REQUIRED_SHARE = POSSIBLE_THRESHOLD / SCORES.resemblance  # the similarity a possible match needs

_TYPO_SIMILARITY = SCORES.typo_similarity
_RESEMBLANCE = SCORES.resemblance
_WORD_FLOOR = SCORES.word_similarity_floor


@dataclass(frozen=True, slots=True)
class Candidate:
    entity_id: str
    score: float  # 0..1
    matched_on: tuple[str, ...]  # the query fields that agreed: isin, ticker, name, alias ...
    explanation: str  # one line a compliance officer can read


def make_candidate(entity_id: str, score: float, field_: str, text: str) -> Candidate:
    """A candidate with its score clamped to 0..1 and rounded to two places."""
    return Candidate(entity_id, round(max(0.0, min(score, 1.0)), 2), (field_,), text)


@dataclass(frozen=True, slots=True)
class NameEntry:
    entity_id: str
    label: str  # the name as the watchlist writes it
    field: str  # "name" or "alias"
    kind: str  # "name", or the alias kind (former, trading, local_script ...)
    norm: NormalisedName
    generic: frozenset[str]
    country: str | None = None  # the entity's country (ISO 3166-1 alpha-2)
    weak: str | None = None  # why this name alone cannot identify the company (see weak_name)
    common: frozenset[str] = frozenset()  # its distinctive words that are common (common_word)
    places: frozenset[str] = frozenset()  # its distinctive words that are places
    parent: frozenset[str] = frozenset()  # group, holding of the legal name, when it has a form

    @property
    def thin(self) -> bool:
        """Whether every distinctive word is a place or a common word (China Electronics
        Technology Group): its generic words are then what tells the company apart."""
        return all(t in self.common or t in self.places for t in self.norm.distinctive)


def weak_name(norm: NormalisedName) -> str | None:
    """Why a watchlist name cannot identify a company on its own, or None: its distinctive
    part is one common word (from the register and English word tables) or two ideographs,
    kana or hangul or fewer."""
    if short_cjk(norm):
        return f"'{norm.compact}' is too short a name to identify a company on its own"
    if len(norm.distinctive) == 1:
        return common_word(norm.distinctive[0])
    return None


@dataclass(frozen=True, slots=True)
class NameScore:
    """How a query name compares with one watchlist name; explained only when shown."""

    score: float
    entry: NameEntry
    strong: bool
    pairs: tuple[tuple[str, str, float], ...]  # (query token, name token, similarity)
    omitted: frozenset[str]  # generic words of the name the query leaves out
    foreign: frozenset[str]  # generic words of the query this entity never uses
    families_agree: bool
    weak_reason: str | None
    places: tuple[Place, ...] = ()  # places of the query set aside to reach this score


def typo(a: str, b: str) -> bool:
    """One letter added, dropped, changed or swapped in a long word: a typo, not another name.

    Both words have eight letters or more and keep their first two; at eight letters the last
    is kept too (Hikvison, Intelexa are typos; Positivo is another company than Positive).
    """
    shorter = min(len(a), len(b))
    return (
        shorter >= TYPO_MIN_LENGTH - 1
        and a[:2] == b[:2]
        and (shorter >= TYPO_MIN_LENGTH or a[-1] == b[-1])
        and DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1
    )


def _align(
    query: NormalisedName, name: NormalisedName
) -> tuple[list[tuple[str, str, float]], float]:
    """Pair query and name tokens, most similar first, each used once: (pairs, shared weight)."""
    options = []
    for i, q in enumerate(query.distinctive):
        for j, n in enumerate(name.distinctive):
            if q == n:
                sim = 1.0
            else:
                lq, ln = len(q), len(n)
                if 2 * lq < ln or 2 * ln < lq:
                    continue
                if typo(q, n):
                    sim = _TYPO_SIMILARITY
                else:
                    sim = Levenshtein.normalized_similarity(q, n, score_cutoff=_WORD_FLOOR)
                    if not sim:
                        continue
            options.append((sim, i, j))
    if len(options) > 1:
        options.sort(key=lambda o: -o[0])
    used_q: set[int] = set()
    used_n: set[int] = set()
    pairs = []
    shared = 0.0
    for sim, i, j in options:
        if i not in used_q and j not in used_n:
            used_q.add(i)
            used_n.add(j)
            pairs.append((query.distinctive[i], name.distinctive[j], sim))
            shared += sim * min(query.weights[i], name.weights[j])
    return pairs, shared


def score_name(
    query: NormalisedName,
    query_generic: frozenset[str],
    entry: NameEntry,
    entity_generic: frozenset[str],
    country_agrees: bool = False,
) -> NameScore | None:
    """Score a query name against one watchlist name (see the score bands); None below them.

    A name that is weak alone (`weak_name`: one common word, a two-character short name)
    matches only with a co-signal - the legal form it is recorded with, all of its generic
    words or its first ones (a name cut short: Tiger Global, not Tiger Management), or the
    name of its country in the query - and is never a resemblance: a query that adds words to
    it, or changes a letter, is another company.
    """
    name = entry.norm
    if query.compact == name.compact:
        pairs = [(query.compact, name.compact, 1.0)]
        full, shared = True, float(query.weight)
    elif len(query.distinctive) + len(name.distinctive) > 2 and typo(query.compact, name.compact):
        pairs = [(query.compact, name.compact, _TYPO_SIMILARITY)]
        full, shared = True, _TYPO_SIMILARITY * min(query.weight, name.weight)
    else:
        pairs, shared = _align(query, name)
        if not pairs:
            return None
        full = (
            len(pairs) == len(query.distinctive) == len(name.distinctive)
            and all(sim >= _TYPO_SIMILARITY for _, _, sim in pairs)
        )
    foreign = query_generic - entity_generic
    omitted = entry.generic - query_generic
    families_agree = compatible_legal_families(query.families, name.families)
    if entry.weak is not None and (
        not full or foreign or any(sim < 1.0 for _, _, sim in pairs)
    ):
        return None

    if full and name.weight <= 2 and entry.generic and not query_generic & entry.generic:
        return None  # '14' alone is not Digital 14: two characters say nothing without their words

    weak_reason = None
    if full:
        if query.all_generic != name.all_generic:
            weak_reason = "only generic words agree"
        elif foreign:
            weak_reason = f"the query adds {_words(foreign)}, which this company's names lack"
        elif name.weight <= 2 and not (entry.generic and query_generic == entry.generic):
            weak_reason = f"'{name.compact}' is too short to identify a company on its own"
        elif len(name.distinctive) == 1 and not legal_forms_agree(
            query.legal_forms, name.legal_forms
        ):
            weak_reason = (
                f"a one-word name under another legal form ({_words(query.legal_forms)} vs "
                f"{_words(name.legal_forms)})"
            )
        elif (
            len(name.distinctive) == 1 and len(name.compact) <= SHORT_NAME
            and name.compact.isascii() and name.legal_forms and not query.legal_forms
        ):
            weak_reason = (
                f"the watchlist records the short name '{name.compact}' only with its legal "
                f"form ({_words(name.legal_forms)})"
            )
        elif len(name.distinctive) == 1 and omitted and not query_generic:
            weak_reason = (
                f"the watchlist does not record the short form '{query.compact}' for this "
                f"company, only with {_words(omitted)}"
            )
        elif omitted and entry.thin and not (
            omitted <= PARENT_WORDS
            or (query_generic and name.text.startswith(query.text + " ")
                and any(t not in entry.places for t in name.distinctive))
        ):
            weak_reason = (
                f"without {_words(omitted)} what is left of the name ({_words(name.distinctive)})"
                f" is only {_thin_words(entry)}, which does not identify this company"
            )
        elif query.legal_forms and entry.parent and not query_generic:
            weak_reason = (
                f"the query is the bare name under a legal form ({_words(query.legal_forms)}), "
                f"but the watchlist's legal name has {_words(entry.parent)}: it may be a "
                f"subsidiary or another company"
            )
        elif entry.weak is not None and not (
            country_agrees
            or (entry.generic and query_generic == entry.generic)
            or (query_generic and name.text.startswith(query.text + " "))  # cut short: Tiger Global
            or (name.legal_forms and query.legal_forms
                and legal_forms_agree(query.legal_forms, name.legal_forms))
        ):
            weak_reason = (f"{entry.weak}: it needs the legal form, the other words or the "
                           f"country of this company")
        else:
            typos = sum(1 for _, _, sim in pairs if sim < 1.0)
            score = SCORES.name_equal - SCORES.name_typo_less * typos
            if omitted:
                score -= SCORES.omitted_generic_less
            if query_generic - entry.generic:
                score -= SCORES.borrowed_generic_less
            if not families_agree:
                score -= SCORES.legal_family_less
            return NameScore(max(score, MATCH_THRESHOLD), entry, True, tuple(pairs),
                              omitted, foreign, families_agree, None)
    if query.all_generic or name.all_generic:
        return None
    if not full and len(pairs) == 1 and pairs[0][1] in entry.common:
        return None  # sharing one common word (Industrial, Positive) is no resemblance
    score = _RESEMBLANCE * 2 * shared / (query.weight + name.weight)
    if foreign:
        score -= SCORES.foreign_generic_less
    if omitted and query_generic - entry.generic:
        score -= SCORES.crossed_generic_less
    if score < POSSIBLE_THRESHOLD:
        return None
    return NameScore(min(score, POSSIBLE_CAP), entry, False, tuple(pairs), omitted,
                      foreign, families_agree, weak_reason)


def explain(query: NormalisedName, scored: NameScore) -> str:
    """One line: the two names compared, the score, what was ignored or why it falls short."""
    entry = scored.entry
    if entry.field == "name":
        shown = f"'{entry.label}'"
    else:
        shown = f"the {_KIND_LABELS.get(entry.kind, 'alias')} '{entry.label}'"
    if scored.strong:
        detail = [f"score {scored.score:.2f}"]
        typos = [f"'{q}' for '{n}'" for q, n, sim in scored.pairs if sim < 1.0]
        if typos:
            detail.append("one typo: " + ", ".join(typos))
        if scored.omitted:
            detail.append(f"the query omits {_words(scored.omitted)}")
        ignored = _ignored(query, scored.places)
        if ignored:
            detail.append("ignored " + ignored)
        if not scored.families_agree:
            detail.append("the legal forms differ")
        return f"name '{query.raw}' matches {shown} ({'; '.join(detail)})"
    reason = scored.weak_reason
    if reason is None:
        paired_q = {q for q, _, _ in scored.pairs}
        paired_n = {n for _, n, _ in scored.pairs}
        differing = [f"'{q}' vs '{n}'" for q, n, sim in scored.pairs if sim < _TYPO_SIMILARITY]
        unpaired = [t for t in query.distinctive if t not in paired_q]
        unpaired += [t for t in entry.norm.distinctive if t not in paired_n]
        if differing:
            reason = "the distinctive words differ: " + ", ".join(differing)
        elif unpaired:
            reason = "only one of them has " + _words(unpaired)
        else:
            reason = "the generic words differ"
    return (f"name '{query.raw}' resembles {shown} (score {scored.score:.2f}); not a match: "
            f"{reason}")


_KIND_LABELS = {"former": "former name", "trading": "trading name",
                "transliteration": "transliteration", "local_script": "local-script name"}


def _words(words: Iterable[str]) -> str:
    return ", ".join(f"'{w}'" for w in sorted(words))


def _thin_words(entry: NameEntry) -> str:
    if all(t in entry.places for t in entry.norm.distinctive):
        return "a place"
    if not entry.places & set(entry.norm.distinctive):
        return "common words"
    return "a place and common words"


def _ignored(query: NormalisedName, places: tuple[Place, ...] = ()) -> str:
    parts = []
    if query.legal_forms:
        parts.append("legal form " + _words(query.legal_forms))
    if query.decorations:
        parts.append("decoration " + _words(query.decorations))
    if places:
        parts.append("place " + _words(place.text for place in places))
    if query.transliterated:
        parts.append("script (transliterated)")
    return " and ".join(parts)
