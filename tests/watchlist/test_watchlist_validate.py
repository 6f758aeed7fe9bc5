"""Problems found in watchlist files and entities, and how they are reported."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from esgscreen.core.model import Entity, Evidence, Flag, Identifier, Relation
from esgscreen.watchlist.files import read_watchlist, validate_directory
from esgscreen.watchlist.validate import Problem, WatchlistInvalid, validate_entities

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid"


@pytest.fixture
def watchlist_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(VALID, tmp_path / "watchlist"))


def with_broken(directory: Path, name: str) -> list[Problem]:
    shutil.copy(FIXTURES / "broken" / name, directory / "entities" / name)
    return validate_directory(directory)


def test_valid_fixture_has_no_problems() -> None:
    assert validate_directory(VALID) == []


def test_problem_reads_as_file_field_message() -> None:
    problem = Problem(
        "watchlist/entities/nso-group.yaml",
        "flags[2].evidence",
        "at least one evidence item is required",
    )
    assert str(problem) == (
        "watchlist/entities/nso-group.yaml: flags[2].evidence: "
        "at least one evidence item is required"
    )
    assert str(Problem("watchlist/taxonomy.yaml", "", "is missing")) == (
        "watchlist/taxonomy.yaml: is missing"
    )


@pytest.mark.parametrize(
    ("name", "field", "message"),
    [
        ("bad-enum.yaml", "kind", "must be one of vendor, subsidiary, holding"),
        ("missing-evidence.yaml", "flags[1].evidence", "at least one evidence item is required"),
        ("bad-isin.yaml", "identifiers[0].value", "ISIN 'IL0011794803' is invalid: the ISIN check"),
        ("unknown-target.yaml", "relations[0].target", "did you mean 'sun-corporation'?"),
        ("syntax-error.yaml", "", "YAML syntax error at line 6"),
        ("duplicate-key.yaml", "", "the key 'name' appears twice (first on line 2)"),
        ("unknown-field.yaml", "contry", "unknown field; did you mean 'country'?"),
        ("id-mismatch.yaml", "id", "the file name must be the id"),
        ("duplicate-identifier.yaml", "identifiers[0]", "CIK 1854587 is also on 'cellebrite'"),
        ("derived-flag.yaml", "flags[0].code", "'ownership_exposure' is derived"),
        ("unknown-code.yaml", "flags[0].code", "did you mean 'forensic_extraction_misuse'?"),
        ("not-canonical.yaml", "identifiers[0].value", "write '1854588'"),
        ("not-canonical.yaml", "identifiers[1].value", "write 'example.com'"),
        ("ticker-without-exchange.yaml", "identifiers[0].exchange", "is required for a ticker"),
        ("self-relation.yaml", "relations[0].target", "points to this entity itself"),
        ("unquoted-date.yaml", "flags[0].since", "write the date in quotes, '2021'"),
        ("evidence-without-authority.yaml", "flags[0].evidence[1].authority",
         "is required: grade the source primary"),
        ("until-before-since.yaml", "relations[0].until", "is before since ('2021-08')"),
        ("merged-with-current-ticker.yaml", "identifiers[1].note",
         "ticker EXAQU is shown as a current listing, but the entity is merged"),
    ],
)
def test_broken_file_is_reported(watchlist_dir: Path, name: str, field: str, message: str) -> None:
    problems = with_broken(watchlist_dir, name)
    path = str(watchlist_dir / "entities" / name)
    assert all(problem.file == path for problem in problems), problems
    assert any(p.field == field and message in p.message for p in problems), problems


def test_read_watchlist_raises_with_every_problem(watchlist_dir: Path) -> None:
    shutil.copy(FIXTURES / "broken" / "bad-enum.yaml", watchlist_dir / "entities")
    shutil.copy(FIXTURES / "broken" / "bad-isin.yaml", watchlist_dir / "entities")
    with pytest.raises(WatchlistInvalid) as raised:
        read_watchlist(watchlist_dir)
    assert [p.field for p in raised.value.problems] == ["kind", "identifiers[0].value"]
    assert "2 problem(s)" in str(raised.value)


def test_relation_to_a_broken_file_is_not_reported_twice(watchlist_dir: Path) -> None:
    shutil.copy(FIXTURES / "broken" / "bad-enum.yaml", watchlist_dir / "entities")
    path = watchlist_dir / "entities" / "twc-tech-holdings-ii.yaml"
    path.write_text(path.read_text().replace("target: cellebrite", "target: bad-enum"))
    problems = validate_directory(watchlist_dir)
    assert [(Path(p.file).name, p.field) for p in problems] == [("bad-enum.yaml", "kind")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"- id: a\n", "is not a mapping of fields"),
        (b"\xff\xfe\x00", "is not UTF-8 text"),
        (b"id: [unclosed\n", "YAML syntax error at line 2"),
    ],
)
def test_unreadable_files_never_raise(watchlist_dir: Path, content: bytes, message: str) -> None:
    (watchlist_dir / "entities" / "odd.yaml").write_bytes(content)
    [problem] = validate_directory(watchlist_dir)
    assert problem.file.endswith("odd.yaml")
    assert message in problem.message


def test_missing_parts_of_the_directory(tmp_path: Path) -> None:
    assert "is not a directory" in validate_directory(tmp_path / "nowhere")[0].message
    (tmp_path / "entities").mkdir()
    [problem] = validate_directory(tmp_path)
    assert problem.file.endswith("taxonomy.yaml")
    assert "is missing" in problem.message


def test_yml_files_are_pointed_out(watchlist_dir: Path) -> None:
    (watchlist_dir / "entities" / "extra.yml").write_text("id: extra\n")
    [problem] = validate_directory(watchlist_dir)
    assert "rename it extra.yaml" in problem.message


def test_broken_taxonomy_does_not_flood_entity_flags(watchlist_dir: Path) -> None:
    taxonomy = watchlist_dir / "taxonomy.yaml"
    text = taxonomy.read_text().replace("default_severity: high", "default_severity: 1")
    taxonomy.write_text(text)
    problems = validate_directory(watchlist_dir)
    assert [(Path(p.file).name, p.field) for p in problems] == [
        ("taxonomy.yaml", "flags[0].default_severity")
    ]


def test_taxonomy_code_defined_twice(watchlist_dir: Path) -> None:
    taxonomy = watchlist_dir / "taxonomy.yaml"
    taxonomy.write_text(
        taxonomy.read_text().replace("code: ownership_exposure", "code: civil_society_alert")
    )
    problems = validate_directory(watchlist_dir)
    assert any(p.field == "flags[2].code" and "defined twice" in p.message for p in problems), (
        problems
    )


# --- entities that did not come from files --------------------------------------------------

EVIDENCE = (Evidence("https://example.org/r", "Example Lab", authority="primary"),)


@pytest.fixture
def watchlist() -> dict[str, Entity]:
    return dict(read_watchlist(VALID).entities)


@pytest.fixture
def taxonomy() -> dict:
    return dict(read_watchlist(VALID).taxonomy)


def test_valid_entities_have_no_problems(watchlist: dict[str, Entity], taxonomy: dict) -> None:
    assert validate_entities(watchlist, taxonomy) == []
    assert validate_entities(list(watchlist.values()), taxonomy) == []


def test_merged_entity_with_only_former_listings_is_valid(watchlist_dir: Path) -> None:
    problems = with_broken(watchlist_dir, "merged-with-current-ticker.yaml")
    assert [p.field for p in problems] == ["identifiers[1].note"]


def test_relation_to_a_retired_entity_says_so(
    watchlist: dict[str, Entity], taxonomy: dict
) -> None:
    remaining = {k: v for k, v in watchlist.items() if k != "sun-corporation"}
    problems = validate_entities(remaining, taxonomy, retired={"sun-corporation": "in version 7"})
    [problem] = [p for p in problems if p.field.startswith("relations")]
    assert problem.file == "entities/cellebrite.yaml"
    assert problem.message.startswith(
        "'sun-corporation' was retired from the watchlist in version 7: remove this relation")
    unknown = validate_entities(remaining, taxonomy)
    assert "no entity has the id 'sun-corporation'" in str(unknown)


def test_entity_checks_cover_schema_and_cross_rules(
    watchlist: dict[str, Entity], taxonomy: dict
) -> None:
    proposed = Entity(
        id="proposal",
        name="Proposal Ltd.",
        kind="vendr",
        identifiers=(
            Identifier("isin", "il0011794802"),
            Identifier("ticker", "CLBT", "XNGS"),
            Identifier("lei", "5493001KJTIIGC8Y1R13", note="x"),
        ),
        relations=(Relation("owned_by", "proposal"), Relation("merged_into", "nobody")),
        flags=(
            Flag("civil_society_alert", "high", "ongoing", "2021", "Summary.", ()),
            Flag("made_up", "high", "ongoing", None, "Summary.", EVIDENCE),
        ),
    )
    problems = validate_entities([*watchlist.values(), proposed], taxonomy)
    assert all(p.file == "entities/proposal.yaml" for p in problems)
    assert [(p.field, p.message) for p in problems] == [
        ("kind", "must be one of vendor, subsidiary, holding, investor, spac, brand; got 'vendr'"),
        ("flags[0].evidence", "at least one evidence item is required"),
        (
            "identifiers[0].value",
            "ISIN 'il0011794802' is not in canonical form: write 'IL0011794802'",
        ),
        (
            "identifiers[0]",
            "ISIN IL0011794802 is also on 'cellebrite' (entities/cellebrite.yaml, "
            "identifiers[2]): an identifier can belong to one entity only",
        ),
        ("identifiers[1].exchange", "'XNGS' is not the canonical MIC: write 'XNAS'"),
        (
            "identifiers[1]",
            "ticker CLBT on XNAS is also on 'cellebrite' (entities/cellebrite.yaml, "
            "identifiers[0]): an identifier can belong to one entity only",
        ),
        (
            "identifiers[2].value",
            "LEI '5493001KJTIIGC8Y1R13' is invalid: the LEI check digit does not match",
        ),
        ("relations[0].target", "points to this entity itself: a relation links two entities"),
        (
            "relations[1].target",
            "no entity has the id 'nobody' (add entities/nobody.yaml or correct the id)",
        ),
        ("flags[1].code", "'made_up' is not a code in taxonomy.yaml"),
    ]


def test_mapping_key_must_be_the_id(watchlist: dict[str, Entity], taxonomy: dict) -> None:
    watchlist["old-key"] = replace(watchlist.pop("cellebrite"))
    problems = validate_entities(watchlist, taxonomy)
    assert [(p.field, p.message) for p in problems] == [
        ("id", "is 'cellebrite' but the entity is stored under 'old-key'")
    ]


def test_duplicate_ids(watchlist: dict[str, Entity], taxonomy: dict) -> None:
    twin = replace(watchlist["sun-corporation"], identifiers=())
    problems = validate_entities([*watchlist.values(), twin], taxonomy)
    assert [(p.field, p.message) for p in problems] == [
        (
            "id",
            "'sun-corporation' is already the id of entities/sun-corporation.yaml: "
            "every entity needs its own id",
        )
    ]


def test_same_identifier_twice_on_one_entity(watchlist: dict[str, Entity], taxonomy: dict) -> None:
    sun = watchlist["sun-corporation"]
    watchlist["sun-corporation"] = replace(sun, identifiers=(*sun.identifiers, sun.identifiers[1]))
    [problem] = validate_entities(watchlist, taxonomy)
    assert problem.message == "ISIN JP3336450006 is already listed as identifiers[1] of this entity"


def test_same_ticker_on_another_exchange_is_fine(
    watchlist: dict[str, Entity], taxonomy: dict
) -> None:
    listing = Identifier("ticker", "CLBT", "XLON")
    other = Entity(id="other", name="Other plc", kind="vendor", identifiers=(listing,))
    assert validate_entities([*watchlist.values(), other], taxonomy) == []


def test_ownership_cycles_are_legal(taxonomy: dict) -> None:
    a = Entity(id="a", name="A", kind="holding", relations=(Relation("owned_by", "b", share=10.0),))
    b = Entity(id="b", name="B", kind="holding", relations=(Relation("owned_by", "a", share=10.0),))
    assert validate_entities([a, b], taxonomy) == []


def test_flag_codes_unchecked_without_taxonomy() -> None:
    flagged = Entity(
        id="x",
        name="X",
        kind="vendor",
        flags=(Flag("anything", "low", "ongoing", None, "S.", EVIDENCE),),
    )
    assert validate_entities([flagged], None) == []
