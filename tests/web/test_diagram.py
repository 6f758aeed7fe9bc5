"""The ownership diagram: well-formed SVG, escaped text, owners above and owned below."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from esgscreen.web.diagram import links, ownership_svg, share_label

SVG = "{http://www.w3.org/2000/svg}"


def party(pid: str, name: str, rating: str | None = "red") -> dict:
    return {"id": pid, "name": name, "rating": rating}


def relation(kind: str, share: float | None = None, share_text: str | None = None,
             until: str | None = None) -> dict:
    return {"type": kind, "share": share, "share_text": share_text, "since": None,
            "until": until, "note": None, "evidence": []}


def record(outgoing: list[dict] = (), incoming: list[dict] = (), name: str = "Vendor Ltd.",
           rating: str | None = "red") -> dict:
    return {
        "entity": {"id": "vendor", "name": name},
        "rating": rating,
        "relations": {"outgoing": list(outgoing), "incoming": list(incoming)},
    }


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def box_y(svg: str, name: str) -> float:
    """The top of the box whose first text line is ``name``."""
    root = ET.fromstring(svg)
    for group in root.iter(f"{SVG}g"):
        found = [t for t in group.iter(f"{SVG}text") if t.text == name]
        if found and group.find(f"{SVG}rect") is not None:
            return float(group.find(f"{SVG}rect").get("y"))
    raise AssertionError(f"no box for {name!r}")


@pytest.mark.parametrize(
    ("share", "text", "label"),
    [
        (47.0, None, "47%"),
        (100.0, "100% via a holding", "100%"),
        (12.5, None, "12.5%"),
        (None, "majority", "majority (reported)"),
        (None, "control (takeover closed June 2022, reported)", "control (reported)"),
        (None, None, "stake not stated"),
        (None, "   ", "stake not stated"),
    ],
)
def test_share_labels(share: float | None, text: str | None, label: str) -> None:
    assert share_label(share, text) == label


def test_owners_above_entity_above_owned_with_labelled_links() -> None:
    svg = ownership_svg(record(
        outgoing=[{"target": party("owner", "Owner Corp", "orange"), **relation("owned_by", 47)}],
        incoming=[{"source": party("sub", "Sub Ltd", "yellow"),
                   **relation("owned_by", share_text="majority")},
                  {"source": party("spac", "Blank Check Corp", "red"),
                   **relation("merged_into")}],
    ))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert box_y(svg, "Owner Corp") < box_y(svg, "Vendor Ltd.") < box_y(svg, "Sub Ltd")
    assert box_y(svg, "Sub Ltd") == box_y(svg, "Blank Check Corp")
    words = texts(svg)
    assert "47%" in words
    assert "majority (reported)" in words
    assert "merged into" in words
    # Every box says its rating in words, not only in colour.
    assert {"Rating: Orange", "Rating: Red", "Rating: Yellow"} <= set(words)
    assert root.find(f"{SVG}title").text == "Ownership diagram of Vendor Ltd."


def test_markup_in_names_is_escaped() -> None:
    evil = '<script>alert(1)</script> & "Co"'
    svg = ownership_svg(
        record(outgoing=[{"target": party("x", evil), **relation("owned_by", None,
                                                                 share_text="<b>half</b>")}],
               name="<img src=x onerror=alert(1)>"),
        href=lambda eid: f"/entities/{eid}?a=1&b=2",
    )
    assert "<script>" not in svg and "<img" not in svg and "<b>" not in svg
    root = ET.fromstring(svg)  # well-formed: every text escaped
    titles = ["".join(t.itertext()) for t in root.iter(f"{SVG}title")]
    assert any(t.startswith(evil) for t in titles)  # the full name, as text
    assert any(w.startswith("<script>") for w in texts(svg))
    assert any(w.startswith("<img") for w in texts(svg))
    assert root.find(f"{SVG}a").get("href") == "/entities/x?a=1&b=2"


def test_links_only_for_parties_on_the_watchlist() -> None:
    svg = ownership_svg(
        record(outgoing=[{"target": party("listed", "Listed Owner"), **relation("owned_by", 10)},
                         {"target": party("ghost", "Unlisted Owner", None),
                          **relation("owned_by", 5)}]),
        href=lambda eid: f"/entities/{eid}",
    )
    root = ET.fromstring(svg)
    hrefs = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert hrefs == ["/entities/listed"]
    assert "Not rated" in texts(svg)


def test_a_party_named_twice_gets_one_box_with_the_best_label() -> None:
    parent = party("parent", "Parent Holdings")
    data = record(outgoing=[{"target": parent, **relation("subsidiary_of")},
                            {"target": parent, **relation("owned_by", 60)}])
    above, below = links(data)
    assert [(link.party["id"], link.label) for link in above] == [("parent", "60%")]
    assert below == []
    assert texts(ownership_svg(data)).count("Parent Holdings") == 1


def test_ended_relations_are_dashed_and_dated() -> None:
    svg = ownership_svg(record(outgoing=[{"target": party("old", "Old Owner"),
                                          **relation("owned_by", 30, until="2019")}]))
    assert "30%, until 2019" in texts(svg)
    assert 'stroke-dasharray="5 4"' in svg


def test_no_relations_still_draws_the_entity() -> None:
    svg = ownership_svg(record(rating=None))
    words = texts(svg)
    assert "Vendor Ltd." in words
    assert "No ownership links recorded." in words
    ET.fromstring(svg)
