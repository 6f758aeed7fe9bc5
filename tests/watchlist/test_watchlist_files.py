"""Reading the YAML dialect and writing the canonical format."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from esgscreen.core.model import Entity, Evidence, Flag, Relation, Watchlist
from esgscreen.watchlist.files import (
    dump_yaml,
    entity_to_yaml,
    load_yaml,
    read_watchlist,
    write_watchlist,
)
from esgscreen.watchlist.schema import load_entity

VALID = Path(__file__).parent / "fixtures" / "valid"


@pytest.fixture
def watchlist_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(VALID, tmp_path / "watchlist"))


def files_of(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_valid_fixture_loads() -> None:
    watchlist = read_watchlist(VALID, version=7)
    assert watchlist.version == 7
    assert list(watchlist.entities) == ["cellebrite", "sun-corporation", "twc-tech-holdings-ii"]
    assert list(watchlist.taxonomy) == [
        "forensic_extraction_misuse",
        "civil_society_alert",
        "ownership_exposure",
    ]
    assert watchlist.taxonomy["ownership_exposure"].derived is True
    cellebrite = watchlist.entities["cellebrite"]
    assert cellebrite.products[0] == "UFED"
    assert cellebrite.identifiers[1].value == "1854587"
    assert cellebrite.relations[0].share == 47.0
    assert cellebrite.flags[0].evidence[0].date == "2024-12-16"
    assert watchlist.entities["sun-corporation"].aliases[0].name == "サン電子株式会社"
    assert watchlist.flag_count == 2


def test_dates_and_yaml_1_1_words_stay_strings() -> None:
    text = "a: 2021-07-18\nb: 2021-07-18T10:00:00Z\nc: NO\nd: ON\ne: yes\nf: true\ng: 12\n"
    data = load_yaml(text)
    assert data == {
        "a": "2021-07-18",
        "b": "2021-07-18T10:00:00Z",
        "c": "NO",
        "d": "ON",
        "e": "yes",
        "f": True,
        "g": 12,
    }


def test_unquoted_dates_in_a_file_are_read_as_strings(watchlist_dir: Path) -> None:
    path = watchlist_dir / "entities" / "twc-tech-holdings-ii.yaml"
    path.write_text(path.read_text().replace("'2021-08-30'", "2021-08-30"))
    relation = read_watchlist(watchlist_dir).entities["twc-tech-holdings-ii"].relations[0]
    assert relation.since == "2021-08-30"


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(yaml.YAMLError, match="the key 'name' appears twice"):
        load_yaml("id: x\nname: A\nname: B\n")


def test_canonical_files_are_written_back_byte_for_byte(watchlist_dir: Path) -> None:
    before = files_of(watchlist_dir)
    written = write_watchlist(read_watchlist(watchlist_dir), watchlist_dir)
    assert files_of(watchlist_dir) == before
    assert [path.name for path in written] == [
        "taxonomy.yaml",
        "cellebrite.yaml",
        "sun-corporation.yaml",
        "twc-tech-holdings-ii.yaml",
    ]


def test_write_then_read_gives_the_same_watchlist(tmp_path: Path) -> None:
    original = read_watchlist(VALID, version=3)
    write_watchlist(original, tmp_path / "out")
    again = read_watchlist(tmp_path / "out", version=3)
    assert dict(again.entities) == dict(original.entities)
    assert list(again.taxonomy.values()) == list(original.taxonomy.values())


def test_hand_written_files_are_canonicalised(watchlist_dir: Path) -> None:
    path = watchlist_dir / "entities" / "sun-corporation.yaml"
    path.write_text(
        "name: Sun Corporation\nid: sun-corporation\nkind: holding\n"
        "aliases: []\ncountry: JP\nidentifiers:\n- {type: isin, value: JP3336450006}\n"
    )
    write_watchlist(read_watchlist(watchlist_dir), watchlist_dir)
    assert path.read_text() == (
        "id: sun-corporation\n"
        "name: Sun Corporation\n"
        "kind: holding\n"
        "country: JP\n"
        "status: active\n"
        "identifiers:\n"
        "  - type: isin\n"
        "    value: JP3336450006\n"
        "    confidence: high\n"
    )


def test_entities_no_longer_present_are_removed(watchlist_dir: Path) -> None:
    watchlist = read_watchlist(watchlist_dir)
    twc = watchlist.entities["twc-tech-holdings-ii"]
    smaller = Watchlist.build(
        1,
        [e for e in watchlist.entities.values() if e.id != twc.id],
        list(watchlist.taxonomy.values()),
    )
    (watchlist_dir / "entities" / "README.md").write_text("kept\n")
    write_watchlist(smaller, watchlist_dir)
    assert sorted(p.name for p in (watchlist_dir / "entities").iterdir()) == [
        "README.md",
        "cellebrite.yaml",
        "sun-corporation.yaml",
    ]


def test_unchanged_files_are_not_rewritten(watchlist_dir: Path) -> None:
    path = watchlist_dir / "entities" / "cellebrite.yaml"
    stamp = path.stat().st_mtime_ns
    write_watchlist(read_watchlist(watchlist_dir), watchlist_dir)
    assert path.stat().st_mtime_ns == stamp


def test_strings_yaml_would_retype_are_quoted() -> None:
    text = dump_yaml({"a": "2021-07-18", "b": "NO", "c": "1854587", "d": "yes", "e": "null"})
    assert text == "a: '2021-07-18'\nb: 'NO'\nc: '1854587'\nd: 'yes'\ne: 'null'\n"
    assert load_yaml(text) == {
        "a": "2021-07-18",
        "b": "NO",
        "c": "1854587",
        "d": "yes",
        "e": "null",
    }


def test_dates_are_always_quoted() -> None:
    relation = Relation("owned_by", "y", since="2024-09", until="2025")
    text = entity_to_yaml(Entity(id="x", name="X", kind="vendor", relations=(relation,)))
    assert "    since: '2024-09'\n    until: '2025'\n" in text


@pytest.mark.parametrize(
    "text",
    [
        "Plain words only.",
        "A long paragraph that goes on and on, well past the folding width, with commas, "
        "colons: and #hashes, 'quotes' and \"double quotes\", so that the writer folds it.",
        "- starts like a list item but is just text that is long enough to be folded by the "
        "writer when it is written",
        "Non-Latin: サン電子株式会社, Ελληνικά, العربية, and an em dash — all kept as they are "
        "and long enough to fold.",
        "Two  spaces inside a long sentence must survive the round trip without being folded "
        "away by the writer.",
        "A paragraph\nwith a line break that is long enough to be considered for folding by "
        "the writer.",
        "key: value",
        "@at sign, `backtick, *star, &amp, !bang, %percent, {brace}, [bracket]",
    ],
)
def test_prose_round_trips(text: str) -> None:
    flag = Flag("civil_society_alert", "low", "ongoing", None, text,
                (Evidence("https://example.org/x", "P", title=text, authority="low"),))  # fmt: skip
    entity = Entity(
        id="x", name=text.split("\n")[0][:40].strip(), kind="vendor", description=text,
        products=(text[:12].strip(),), flags=(flag,),
    )  # fmt: skip
    written = entity_to_yaml(entity)
    assert load_entity(load_yaml(written)) == entity
    assert entity_to_yaml(load_entity(load_yaml(written))) == written


def test_unicode_is_written_as_is() -> None:
    entity = read_watchlist(VALID).entities["sun-corporation"]
    assert "- name: サン電子株式会社" in entity_to_yaml(entity)


def test_long_prose_is_folded_and_short_lists_flow() -> None:
    entity = read_watchlist(VALID).entities["cellebrite"]
    text = entity_to_yaml(replace(entity, description="word " * 30 + "end"))
    assert "description: >-\n  word word" in text
    assert "products: [UFED, Physical Analyzer, Inseyets, Pathfinder, Guardian]\n" in text
