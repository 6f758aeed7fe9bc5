"""Plain-language words for verdicts, ratings and actions, and the shapes the pages show.

Pure functions of the answers ``screening`` and ``browse`` build: no Flask, no store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from esgscreen.core.model import SEVERITIES
from esgscreen.core.risk import counted_severity

VERDICTS = {
    "match": "On the watchlist",
    "possible_match": "Possible match",
    "no_match": "Not on the watchlist",
}
VERDICT_NOTES = {
    "match": "The company was found on the watchlist.",
    "possible_match": "A watchlist entry resembles this query. A person should confirm whether "
    "it is the same company before acting on it.",
    "no_match": "Nothing on the watchlist matches this query. Not found is not the same as "
    "cleared: the watchlist covers known surveillance vendors and their owners, and says "
    "nothing about other companies.",
}
RATINGS = {
    "red": ("Red", "exclusion grade"),
    "orange": ("Orange", "high risk"),
    "yellow": ("Yellow", "medium risk"),
    "green": ("Green", "on the watchlist, no open concern"),
}
ACTIONS = {
    "exclude": "Exclude",
    "restrict": "Restrict",
    "review": "Review",
    "clear": "Clear",
}
# What a person reads for a company the watchlist does not hold: never "Clear", which an
# officer would file as "cleared". (The API keeps ``action: clear``; clients compare status.)
NOT_LISTED_ACTION = "No action: not on the watchlist"
NO_RATING = "No rating"
SEVERITY_WORDS = {
    "critical": "Critical",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
}
AUTHORITY_WORDS = {
    "primary": "Primary source",
    "established": "Established outlet",
    "low": "Low authority",
}
AUTHORITY_HINTS = {
    "primary": "a government, court, regulator, company filing or the researchers' own report",
    "established": "an established newsroom or NGO",
    "low": "a blog, repost, summary, aggregator or AI-written wiki",
}
AUTHORITY_CHOICES = [
    (key, f"{AUTHORITY_WORDS[key]}: {AUTHORITY_HINTS[key]}") for key in AUTHORITY_WORDS
]
AUTHORITY_ORDER = {"primary": 0, "established": 1, "low": 2}


def by_authority(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Evidence with primary sources first, then established, then low (ungraded last); the
    curated order is kept within a grade."""
    return sorted(items, key=lambda item: AUTHORITY_ORDER.get(item.get("authority") or "", 3))


def counted_as(severity: str) -> str:
    """The severity a weakly sourced flag of ``severity`` counts as."""
    return counted_severity(severity, True)


RATING_ORDER = {"red": 0, "orange": 1, "yellow": 2, "green": 3}
ACTION_ORDER = {"exclude": 0, "restrict": 1, "review": 2, "clear": 3}
STATUS_ORDER = {"match": 0, "possible_match": 1, "no_match": 2, "error": 3}


FIELD_WORDS = {
    "q": "Query", "name": "Name", "isin": "ISIN", "lei": "LEI", "cik": "CIK", "cusip": "CUSIP",
    "figi": "FIGI", "ticker": "Ticker", "exchange": "Exchange", "domain": "Domain",
    "weight": "Weight", "ref": "Line", "item": "Row",
}


def field_words(field: str | None) -> str:
    """A holding's column as a person names it (``isin`` is ``ISIN``)."""
    if not field:
        return "Row"
    return FIELD_WORDS.get(field, field.replace("_", " ").capitalize())


def field_message(problem: Mapping[str, Any]) -> str:
    """A row's warning or error after its field's name: the message without the field named
    again ("Invalid isin: the ISIN check digit …" reads "the ISIN check digit …")."""
    message = str(problem.get("message", ""))
    field = str(problem.get("field", ""))
    for prefix in (f"invalid {field}: ", f"{field}: "):
        if message.lower().startswith(prefix):
            return message[len(prefix):]
    return message


def format_weight(value: float | None) -> str:
    """A weight or a sum of weights: two decimals, up to four when they are needed."""
    rounded = round_weight(value, 4)
    if rounded is None:
        return ""
    text = f"{rounded:,.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def person(actor: str | None) -> str:
    """Who acted, as a person reads it: ``user:1 carla`` is ``carla``, ``key:3 ci`` is
    ``API key ci``, ``cli:command line`` is ``the command line``."""
    if not actor:
        return ""
    kind, _, rest = actor.partition(":")
    name = rest.split(" ", 1)[1] if " " in rest and rest.split(" ", 1)[0].isdigit() else rest
    if kind == "user":
        return name
    if kind == "key":
        return f"API key {name}"
    if kind == "cli":
        return "the command line"
    return actor


def action_words(action: str | None, status: str | None) -> str:
    """The action as a person reads it; a holding not on the watchlist is not "cleared"."""
    if status == "no_match":
        return NOT_LISTED_ACTION
    if not action:
        return ""
    return ACTIONS.get(action, action)


def rating_words(rating: str | None) -> str:
    """A rating as a word: ``Red`` … ``Green``, or ``No rating``."""
    return RATINGS[rating][0] if rating in RATINGS else NO_RATING


def round_weight(value: float | None, digits: int = 6) -> float | None:
    """A sum of weights without its float noise (``1.0499999999999998`` is ``1.05``)."""
    if value is None:
        return None
    rounded = round(value, digits)
    return rounded + 0.0  # no -0.0


def group_flags(flags: Iterable[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Flags by severity, most severe first; ongoing before concluded within a severity."""
    groups: dict[str, list[Mapping[str, Any]]] = {s: [] for s in SEVERITIES}
    for flag in flags:
        groups.setdefault(flag["severity"], []).append(flag)
    return [
        (severity, sorted(items, key=lambda f: (f["status"] != "ongoing", f["code"])))
        for severity, items in groups.items()
        if items
    ]


@dataclass(frozen=True, slots=True)
class Event:
    date: str  # ISO 8601, possibly partial (YYYY or YYYY-MM)
    kind: str  # flag, evidence, relation, version
    text: str
    url: str | None = None
    detail: str | None = None


def timeline(
    record: Mapping[str, Any],
    versions: Sequence[Mapping[str, Any]],
    titles: Mapping[str, str],
) -> list[Event]:
    """Dated events of an entity, oldest first: flags raised, evidence published, ownership
    that began or ended, and the watchlist versions that changed the entry.

    ``versions`` are ``{"version", "date", "summary"}``; ``titles`` names the flag codes.
    """
    events: list[Event] = []
    seen: set[str] = set()

    def evidence(items: Iterable[Mapping[str, Any]]) -> None:
        for item in items:
            if not item.get("date") or item["url"] in seen:
                continue
            seen.add(item["url"])
            text = item["publisher"]
            if item.get("title"):
                text = f"{text}: {item['title']}"
            events.append(Event(item["date"], "evidence", text, url=item["url"]))

    for flag in record.get("flags", []):
        title = titles.get(flag["code"], flag["code"].replace("_", " "))
        if flag.get("since"):
            events.append(Event(flag["since"], "flag",
                                f"{title} ({flag['severity']}, {flag['status']})",
                                detail=flag.get("summary")))
        evidence(flag.get("evidence", []))
    relations = record.get("relations", {})
    for direction, key in (("outgoing", "target"), ("incoming", "source")):
        for relation in relations.get(direction, []):
            other = relation[key]["name"]
            phrase = describe_relation(relation["type"], direction, other,
                                       record["entity"]["name"])
            if relation.get("since"):
                events.append(Event(relation["since"], "relation", f"Began: {phrase}"))
            if relation.get("until"):
                events.append(Event(relation["until"], "relation", f"Ended: {phrase}"))
            evidence(relation.get("evidence", []))
    for version in versions:
        events.append(Event(version["date"], "version",
                            f"Watchlist version {version['version']}: {version['summary']}"))
    order = {"flag": 0, "relation": 1, "evidence": 2, "version": 3}
    events.sort(key=lambda e: (e.date, order[e.kind]))
    return events


def describe_relation(kind: str, direction: str, other: str, this: str) -> str:
    """One relation as a sentence, whichever side's page it is shown on."""
    subject, target = (this, other) if direction == "outgoing" else (other, this)
    return {
        "owned_by": f"{target} owns a stake in {subject}",
        "subsidiary_of": f"{subject} is a subsidiary of {target}",
        "formerly_known_as": f"{subject} was formerly {target}",
        "merged_into": f"{subject} merged into {target}",
        "brand_of": f"{subject} is a brand of {target}",
    }.get(kind, f"{subject} {kind.replace('_', ' ')} {target}")


@dataclass(frozen=True, slots=True)
class Card:
    key: str  # exclude, restrict, review, clear, not_listed, error
    label: str
    count: int
    weight: float | None  # None when no row of it carries a weight


def summary_cards(rows: Iterable[Mapping[str, Any]]) -> list[Card]:
    """Holdings by what to do with them. Holdings not on the watchlist get a card of their own:
    the API counts them under ``clear``, but not found is not cleared."""
    order = ("exclude", "restrict", "review", "clear", "not_listed", "error")
    labels = {
        "exclude": "to exclude", "restrict": "to restrict", "review": "to review",
        "clear": "clear (on the watchlist, no open concern)",
        "not_listed": "not on the watchlist (no action, not cleared)",
        "error": "rows with errors",
    }
    counts = dict.fromkeys(order, 0)
    weights: dict[str, float | None] = dict.fromkeys(order)
    for row in rows:
        status = row.get("status")
        key = ("error" if status == "error" else "not_listed" if status == "no_match"
               else str(row.get("action")))
        if key not in counts:
            continue
        counts[key] += 1
        weight = row.get("weight")
        if isinstance(weight, int | float) and not isinstance(weight, bool):
            weights[key] = (weights[key] or 0.0) + weight
    return [Card(key, labels[key], counts[key], round_weight(weights[key])) for key in order]


def weight_shares(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The exposure summary of a batch as rows: bucket, weight, share of the total weight."""
    weight = summary["weight"]
    total = round_weight(weight["total"]) or 0.0
    labels = {
        "red": "Red (exclusion grade)",
        "orange": "Orange (high risk)",
        "yellow": "Yellow (medium risk)",
        "green": "Green (on the watchlist, no open concern)",
        "possible_match": "Possible matches (to confirm)",
        "no_match": "Not on the watchlist",
    }
    return [
        {
            "bucket": bucket,
            "label": labels[bucket],
            "weight": round_weight(value),
            "share": (value / total * 100.0) if total else None,
        }
        for bucket, value in weight["by_rating"].items()
    ]
