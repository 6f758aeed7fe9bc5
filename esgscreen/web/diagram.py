"""The ownership diagram of one entity as an SVG string, drawn on the server.

Owners and parents stand in a row above the entity, the companies it owns and the ones it is
linked to (a SPAC that merged into it, a former name, a brand) in a row below. Lines are routed
like an organisation chart, each labelled with the stake (``47%``, ``majority (reported)``,
``stake not stated``) or the kind of link; every box names the party and its rating in words,
so the colours are never the only signal. A pure function of the entity record
(``browse.entity_record``): all text is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

# Where each relation puts the other party, seen from the entity whose page this is.
# (direction, type) -> (tier, arrow from party to entity?)
_PLACES: dict[tuple[str, str], tuple[str, bool]] = {
    ("outgoing", "owned_by"): ("above", True),
    ("outgoing", "subsidiary_of"): ("above", True),
    ("outgoing", "brand_of"): ("above", True),
    ("incoming", "owned_by"): ("below", False),
    ("incoming", "subsidiary_of"): ("below", False),
    ("incoming", "brand_of"): ("below", False),
    ("outgoing", "merged_into"): ("below", False),
    ("incoming", "merged_into"): ("below", True),
    ("outgoing", "formerly_known_as"): ("below", True),
    ("incoming", "formerly_known_as"): ("below", False),
}

# Rating colours: stripe/stroke, tint, and text colour (text contrast >= 4.5:1 on the tint).
PALETTE: dict[str | None, tuple[str, str, str]] = {
    "red": ("#b42318", "#fdeceb", "#8a1c13"),
    "orange": ("#c2410c", "#fff1e7", "#8f310a"),
    "yellow": ("#b88700", "#fff8db", "#6b4e00"),
    "green": ("#15803d", "#e9f6ee", "#14632f"),
    None: ("#6b7280", "#f3f4f6", "#374151"),
}
RATING_WORDS = {
    "red": "Red",
    "orange": "Orange",
    "yellow": "Yellow",
    "green": "Green",
    None: "Not rated",
}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

BOX_W, BOX_H, GAP = 164, 72, 16
CENTER_W, CENTER_H = 300, 84
TIER_GAP = 118
MARGIN = 16
LABEL_CHARS = 24


@dataclass(frozen=True, slots=True)
class Link:
    party: Mapping[str, Any]  # {"id", "name", "rating"}
    label: str
    detail: str  # the longer, exact text: shown as a tooltip
    toward_entity: bool  # arrow points from the party to the entity
    ended: bool


def share_label(share: float | None, share_text: str | None) -> str:
    """The stake in a few words: ``47%``, ``majority (reported)`` or ``stake not stated``."""
    if share is not None:
        return f"{share:g}%"
    if share_text and share_text.strip():
        short = share_text.strip()
        for stop in (" (", ";", ":", " per ", " via "):
            short = short.split(stop, 1)[0]
        short = short.strip(" ,.")
        if len(short) > LABEL_CHARS:
            short = short[: LABEL_CHARS - 1].rstrip() + "…"
        return f"{short} (reported)"
    return "stake not stated"


def relation_label(relation: Mapping[str, Any], direction: str) -> str:
    kind = relation["type"]
    if kind in ("owned_by", "subsidiary_of"):
        if relation.get("share") is None and not relation.get("share_text"):
            return "subsidiary" if kind == "subsidiary_of" else "stake not stated"
        return share_label(relation.get("share"), relation.get("share_text"))
    if kind == "brand_of":
        return "brand"
    if kind == "merged_into":
        return "merged into"
    if kind == "formerly_known_as":
        return "former name" if direction == "outgoing" else "later name"
    return kind.replace("_", " ")


def _label_rank(label: str) -> int:
    """How informative a label is: a figure beats a reported word beats a bare relation."""
    if label[:1].isdigit():
        return 0
    if "(reported)" in label:
        return 1
    return 2 if label not in ("stake not stated", "subsidiary") else 3


def links(record: Mapping[str, Any]) -> tuple[list[Link], list[Link]]:
    """The parties above and below the entity, in the record's order.

    A party named by several relations on the same side (a parent recorded both as owner and
    as parent company) gets one box, labelled with the most informative of them.
    """
    tiers: dict[str, dict[str, list[Link]]] = {"above": {}, "below": {}}
    relations = record.get("relations") or {}
    for direction, party_key in (("outgoing", "target"), ("incoming", "source")):
        for relation in relations.get(direction, []):
            tier, toward = _PLACES.get((direction, relation["type"]), ("below", False))
            label = relation_label(relation, direction)
            if relation.get("until"):
                label = f"{label}, until {relation['until']}"
            detail = label
            if relation.get("share_text"):
                detail = f"{label}: {relation['share_text']}"
            party = relation[party_key]
            tiers[tier].setdefault(str(party["id"]), []).append(
                Link(party, label, detail, toward, bool(relation.get("until")))
            )

    def merged(group: list[Link]) -> Link:
        best = min(group, key=lambda link: _label_rank(link.label))
        details = list(dict.fromkeys(link.detail for link in group))
        return Link(best.party, best.label, "; ".join(details), best.toward_entity,
                    all(link.ended for link in group))

    return (
        [merged(group) for group in tiers["above"].values()],
        [merged(group) for group in tiers["below"].values()],
    )


def _wrap(text: str, max_chars: int, max_lines: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= max_chars:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word if len(word) <= max_chars else word[: max_chars - 1] + "…"
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        lines[-1] = (last if len(last) < max_chars else last[: max_chars - 1]).rstrip() + "…"
    return lines or [""]


def _text(x: float, y: float, content: str, *, size: int = 13, weight: str = "normal",
          fill: str = "#1f2933", anchor: str = "middle") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" '
            f'fill="{fill}" text-anchor="{anchor}">{escape(content)}</text>')


def _box(party: Mapping[str, Any], x: float, y: float, w: float, h: float, *, center: bool,
         href: str | None) -> str:
    rating = party.get("rating")
    stroke, tint, ink = PALETTE.get(rating, PALETTE[None])
    name = str(party.get("name") or party.get("id") or "")
    size = 16 if center else 13
    max_chars = int((w - 22) / (size * 0.55))
    lines = _wrap(name, max_chars, 2)
    if lines[-1].endswith("…"):  # a long name: a smaller size and a third line, not cut off
        size -= 1
        max_chars = int((w - 22) / (size * 0.55))
        lines = _wrap(name, max_chars, 3)
    rating_line = f"Rating: {RATING_WORDS.get(rating, 'Not rated')}"
    if rating is None:
        rating_line = "Not rated"
    line_h = size + 4
    block = len(lines) * line_h + 16
    top = y + (h - block) / 2 + size
    cx = x + w / 2 + 3
    parts = [
        f'<g class="party rating-{escape(rating or "none")}">',
        f"<title>{escape(name)}: {escape(rating_line.lower())}</title>",
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" '
        f'fill="{tint}" stroke="{stroke}" stroke-width="{3 if center else 1.5}"/>',
        f'<rect x="{x:.1f}" y="{y:.1f}" width="7" height="{h:.1f}" rx="3" fill="{stroke}"/>',
    ]
    for index, line in enumerate(lines):
        parts.append(_text(cx, top + index * line_h, line, size=size, weight="600"))
    parts.append(_text(cx, top + len(lines) * line_h + 2, rating_line,
                       size=13 if center else 12, weight="700", fill=ink))
    parts.append("</g>")
    body = "".join(parts)
    if href:
        return f'<a href="{escape(href)}">{body}</a>'
    return body


def _label(cx: float, cy: float, text: str, detail: str) -> str:
    lines = _wrap(text, LABEL_CHARS, 4)
    width = max(len(line) for line in lines) * 6.4 + 14
    height = len(lines) * 14 + 6
    top = cy - height / 2
    parts = [
        '<g class="edge-label">',
        f"<title>{escape(detail)}</title>",
        f'<rect x="{cx - width / 2:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" '
        f'rx="4" fill="#ffffff" stroke="#9aa5b1" stroke-width="1"/>',
    ]
    for index, line in enumerate(lines):
        parts.append(_text(cx, top + 14 + index * 14, line, size=11, fill="#1f2933"))
    parts.append("</g>")
    return "".join(parts)


def _line(x1: float, y1: float, x2: float, y2: float, *, dashed: bool = False,
          head: str | None = None) -> str:
    attrs = 'stroke="#52606d" stroke-width="1.6" fill="none"'
    if dashed:
        attrs += ' stroke-dasharray="5 4"'
    if head == "end":
        attrs += ' marker-end="url(#arrow)"'
    elif head == "start":
        attrs += ' marker-start="url(#arrow-back)"'
    return f'<path d="M{x1:.1f} {y1:.1f} L{x2:.1f} {y2:.1f}" {attrs}/>'


def _row_xs(count: int, width: float) -> list[float]:
    """Left edges of ``count`` boxes centred in ``width``."""
    row = count * BOX_W + (count - 1) * GAP
    start = (width - row) / 2
    return [start + i * (BOX_W + GAP) for i in range(count)]


def _describe(name: str, above: Sequence[Link], below: Sequence[Link]) -> str:
    parts = [f"{link.party.get('name')} ({link.label}) above" for link in above]
    parts += [f"{link.party.get('name')} ({link.label}) below" for link in below]
    if not parts:
        return f"{name}: no ownership links recorded."
    return f"Ownership and links of {name}: " + "; ".join(parts) + "."


def ownership_svg(record: Mapping[str, Any],
                  href: Callable[[str], str] | None = None) -> str:
    """The diagram for ``record`` (a ``browse.entity_record`` dict).

    ``href`` turns a party's entity id into a link (omit it for a diagram without links);
    parties not on the watchlist are never linked.
    """
    entity = record["entity"]
    above, below = links(record)
    widest = max(len(above), len(below), 1)
    width = max(widest * BOX_W + (widest - 1) * GAP, CENTER_W, 560) + 2 * MARGIN
    y = MARGIN
    top_row = y if above else None
    if above:
        y += BOX_H + TIER_GAP
    center_y = y
    y += CENTER_H
    bottom_row = y + TIER_GAP if below else None
    height = (bottom_row + BOX_H if bottom_row is not None else y) + MARGIN
    if not above and not below:
        height += 28
    center_x = (width - CENTER_W) / 2
    mid = width / 2

    def link_for(party: Mapping[str, Any]) -> str | None:
        if href is None or party.get("rating") is None:
            return None
        return href(str(party["id"]))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" class="ownership-diagram" '
        f'aria-labelledby="diagram-title diagram-desc" font-family="{escape(FONT)}">',
        f'<title id="diagram-title">Ownership diagram of {escape(entity["name"])}</title>',
        f'<desc id="diagram-desc">{escape(_describe(entity["name"], above, below))}</desc>',
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0 0 L10 5 L0 10 z" fill="#52606d"/></marker>'
        '<marker id="arrow-back" viewBox="0 0 10 10" refX="1" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M10 0 L0 5 L10 10 z" fill="#52606d"/>'
        "</marker></defs>",
    ]
    edges: list[str] = []
    labels: list[str] = []
    boxes: list[str] = []

    if above and top_row is not None:
        bus_y = top_row + BOX_H + TIER_GAP * 0.62
        xs = [x + BOX_W / 2 for x in _row_xs(len(above), width)]
        edges.append(_line(min(xs + [mid]), bus_y, max(xs + [mid]), bus_y))
        edges.append(_line(mid, bus_y, mid, center_y - 1, head="end"))
        for link, cx in zip(above, xs, strict=True):
            edges.append(_line(cx, top_row + BOX_H, cx, bus_y, dashed=link.ended))
            labels.append(_label(cx, top_row + BOX_H + (bus_y - top_row - BOX_H) / 2,
                                 link.label, link.detail))
            boxes.append(_box(link.party, cx - BOX_W / 2, top_row, BOX_W, BOX_H, center=False,
                              href=link_for(link.party)))

    if below and bottom_row is not None:
        bus_y = center_y + CENTER_H + TIER_GAP * 0.38
        xs = [x + BOX_W / 2 for x in _row_xs(len(below), width)]
        edges.append(_line(mid, center_y + CENTER_H, mid, bus_y))
        edges.append(_line(min(xs + [mid]), bus_y, max(xs + [mid]), bus_y))
        for link, cx in zip(below, xs, strict=True):
            if link.toward_entity:
                edges.append(_line(cx, bus_y, cx, bottom_row, dashed=link.ended, head="start"))
            else:
                edges.append(_line(cx, bus_y, cx, bottom_row - 1, dashed=link.ended, head="end"))
            labels.append(_label(cx, bus_y + (bottom_row - bus_y) / 2, link.label, link.detail))
            boxes.append(_box(link.party, cx - BOX_W / 2, bottom_row, BOX_W, BOX_H, center=False,
                              href=link_for(link.party)))

    boxes.append(_box({"id": entity["id"], "name": entity["name"], "rating": record.get("rating")},
                      center_x, center_y, CENTER_W, CENTER_H, center=True, href=None))
    if not above and not below:
        labels.append(_text(mid, center_y + CENTER_H + 24, "No ownership links recorded.",
                            size=13, fill="#52606d"))
    out.extend(edges)
    out.extend(boxes)
    out.extend(labels)
    out.append("</svg>")
    return "".join(out)
