"""The file schemas and the dict <-> core mapping."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError

from esgscreen.core.model import (
    Alias,
    Entity,
    Evidence,
    Flag,
    FlagCode,
    Identifier,
    Relation,
)
from esgscreen.watchlist.schema import (
    EntityFileSchema,
    FlagCodeSchema,
    entity_from_dict,
    entity_to_dict,
    flag_code_from_dict,
    flag_code_to_dict,
    load_entity,
)

EVIDENCE = {"url": "https://example.org/report", "publisher": "Example Lab", "authority": "primary"}


def entity(**fields: Any) -> dict[str, Any]:
    return {"id": "example", "name": "Example Ltd.", "kind": "vendor", **fields}


def errors(data: object) -> dict[str, Any]:
    with pytest.raises(ValidationError) as raised:
        EntityFileSchema().load(data)  # type: ignore[arg-type]
    return raised.value.messages  # type: ignore[return-value]


FULL = Entity(
    id="example-vendor",
    name="Example Vendor Ltd.",
    kind="vendor",
    country="IL",
    status="merged",
    description="A paraphrased paragraph.",
    aliases=(Alias("Example", "trading"), Alias("エグザンプル", "local_script", "ja")),
    products=("Probe", "Probe Cloud"),
    identifiers=(
        Identifier("ticker", "EXV", "XNAS", "medium", "https://example.org/listing", "a note"),
        Identifier("isin", "IL0011794802", confidence="low"),
    ),
    relations=(
        Relation(
            "owned_by",
            "example-holding",
            share=47.5,
            share_text="minority",
            since="2021-08",
            until="2023",
            note="estimate",
            evidence=(
                Evidence("https://example.org/a", "Example News", "2021-08-31", "Deal",
                         "established"),
            ),
        ),
    ),
    flags=(
        Flag(
            "targeted_spyware",
            "critical",
            "ongoing",
            "2021",
            "A summary.",
            (Evidence("https://example.org/b", "Example Lab", authority="primary"),),
        ),
    ),
)


def test_entity_dict_round_trip() -> None:
    data = entity_to_dict(FULL)
    assert list(data) == [
        "id", "name", "kind", "country", "status", "description",
        "aliases", "products", "identifiers", "relations", "flags",
    ]  # fmt: skip
    assert list(data["relations"][0]) == [
        "type", "target", "share", "share_text", "since", "until", "note", "evidence",
    ]  # fmt: skip
    assert list(data["relations"][0]["evidence"][0]) == [
        "url", "publisher", "authority", "date", "title",
    ]  # fmt: skip
    assert entity_from_dict(EntityFileSchema().load(data)) == FULL
    assert load_entity(data) == FULL


def test_entity_to_dict_leaves_out_empty_fields() -> None:
    minimal = Entity(id="x", name="X", kind="brand")
    assert entity_to_dict(minimal) == {"id": "x", "name": "X", "kind": "brand", "status": "active"}


def test_defaults_are_filled_on_load() -> None:
    data = EntityFileSchema().load(
        entity(aliases=[{"name": "Ex"}], identifiers=[{"type": "cik", "value": "1"}])
    )
    loaded = entity_from_dict(data)
    assert loaded.status == "active"
    assert loaded.aliases[0].kind == "alias"
    assert loaded.identifiers[0].confidence == "high"


def test_flag_code_round_trip() -> None:
    code = FlagCode("targeted_spyware", "Targeted spyware", "Defined.", "critical", ("UNGP 13",))
    assert flag_code_from_dict(FlagCodeSchema().load(flag_code_to_dict(code))) == code


@pytest.mark.parametrize("value", ["2021", "2021-07", "2021-07-18", "2024-02-29"])
def test_partial_dates_accepted(value: str) -> None:
    flag = {"code": "x", "severity": "low", "status": "ongoing", "since": value,
            "summary": "s", "evidence": [EVIDENCE]}  # fmt: skip
    assert EntityFileSchema().load(entity(flags=[flag]))["flags"][0]["since"] == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2021-13", "not a real date"),
        ("2023-02-29", "not a real date"),
        ("2021-7", "'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'"),
        ("18 July 2021", "'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'"),
        (2021, "write the date in quotes, '2021'"),
    ],
)
def test_bad_dates_rejected(value: object, message: str) -> None:
    found = errors(entity(relations=[{"type": "owned_by", "target": "y", "since": value}]))
    assert message in found["relations"][0]["since"][0]


def test_until_before_since() -> None:
    relation = {"type": "owned_by", "target": "y", "since": "2021-08", "until": "2021-05"}
    assert "is before since" in errors(entity(relations=[relation]))["relations"][0]["until"][0]
    relation["until"] = "2021"  # same year at the coarser precision: fine
    EntityFileSchema().load(entity(relations=[relation]))


@pytest.mark.parametrize(
    ("share", "message"),
    [(100.5, "from 0 to 100"), (-1, "from 0 to 100"), ("47", "without quotes"), (True, "number")],
)
def test_share_is_a_percentage(share: object, message: str) -> None:
    found = errors(entity(relations=[{"type": "owned_by", "target": "y", "share": share}]))
    assert message in found["relations"][0]["share"][0]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "manufacturer", "must be one of vendor, subsidiary"),
        ("status", "closed", "must be one of active, defunct, merged"),
        ("id", "NSO_Group", "lower-case letters, digits and single hyphens"),
        ("country", "ISR", "ISO 3166-1 alpha-2"),
        ("name", "", "must not be empty"),
        ("name", " padded", "whitespace"),
        ("name", "tab\there", "control character U+0009"),
        ("name", 1234, "put the value in quotes"),
        ("name", None, "is empty"),
        ("products", "UFED", "must be a list"),
        ("aliases", ["Cellebrite"], "must be a mapping of fields"),
    ],
)
def test_field_errors(field: str, value: object, message: str) -> None:
    found = errors(entity(**{field: value}))
    text = str(found[field])
    assert message in text


def test_required_fields() -> None:
    found = errors({})
    assert found == {"id": ["is required"], "name": ["is required"], "kind": ["is required"]}


def test_unknown_fields_rejected_at_every_level() -> None:
    found = errors(entity(contry="FR", aliases=[{"name": "X", "language": "fr"}]))
    assert found["contry"] == ["unknown field"]
    assert found["aliases"][0]["language"] == ["unknown field"]


def test_flag_needs_evidence() -> None:
    flag = {"code": "x", "severity": "low", "status": "ongoing", "summary": "s"}
    assert errors(entity(flags=[flag]))["flags"][0]["evidence"] == [
        "at least one evidence item is required"
    ]
    flag["evidence"] = []
    assert errors(entity(flags=[flag]))["flags"][0]["evidence"] == [
        "at least one evidence item is required"
    ]


@pytest.mark.parametrize(
    "url", ["example.org/report", "ftp://example.org/x", "https://exa mple.org/"]
)
def test_evidence_url_must_be_a_web_address(url: str) -> None:
    flag = {"code": "x", "severity": "low", "status": "ongoing", "summary": "s",
            "evidence": [{"url": url, "publisher": "P", "authority": "low"}]}  # fmt: skip
    assert "full web address" in errors(entity(flags=[flag]))["flags"][0]["evidence"][0]["url"][0]


def test_exchange_belongs_to_tickers_only() -> None:
    found = errors(
        entity(
            identifiers=[
                {"type": "ticker", "value": "EXV"},
                {"type": "isin", "value": "IL0011794802", "exchange": "XNAS"},
                {"type": "ticker", "value": "EXV", "exchange": "NASDAQ"},
            ]
        )
    )
    assert "is required for a ticker" in found["identifiers"][0]["exchange"][0]
    assert "only tickers have an exchange" in found["identifiers"][1]["exchange"][0]
    assert "4-character MIC" in found["identifiers"][2]["exchange"][0]


def test_evidence_needs_an_authority() -> None:
    flag = {"code": "x", "severity": "low", "status": "ongoing", "summary": "s",
            "evidence": [{"url": "https://example.org/r", "publisher": "P"}]}  # fmt: skip
    found = errors(entity(flags=[flag]))["flags"][0]["evidence"][0]["authority"]
    assert found[0].startswith("is required: grade the source primary")


@pytest.mark.parametrize("authority", ["Primary", "secondary", "", 1])
def test_evidence_authority_is_one_of_the_grades(authority: object) -> None:
    flag = {"code": "x", "severity": "low", "status": "ongoing", "summary": "s",
            "evidence": [{**EVIDENCE, "authority": authority}]}  # fmt: skip
    found = errors(entity(flags=[flag]))["flags"][0]["evidence"][0]["authority"]
    assert found


def test_evidence_authority_round_trips() -> None:
    flag = {"code": "x", "severity": "low", "status": "ongoing", "summary": "s",
            "evidence": [{**EVIDENCE, "authority": "established"}]}  # fmt: skip
    loaded = load_entity(entity(flags=[flag]))
    assert loaded.flags[0].evidence[0].authority == "established"
    assert entity_to_dict(loaded)["flags"][0]["evidence"][0]["authority"] == "established"
