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


def weight_shares(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The exposure summary of a batch as rows: bucket, weight, share of the total weight."""
    weight = summary["weight"]
    total = weight["total"] or 0.0
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
            "weight": value,
            "share": (value / total * 100.0) if total else None,
        }
        for bucket, value in weight["by_rating"].items()
    ]
