"""The generated JSON Schemas of the watchlist files, and the committed copies in schemas/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from esgscreen.watchlist.jsonschema import (
    DRAFT,
    entity_json_schema,
    json_schema_files,
    main,
    taxonomy_json_schema,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.mark.parametrize("name", sorted(json_schema_files()))
def test_committed_schema_is_up_to_date(name: str) -> None:
    committed = SCHEMAS / name
    assert committed.is_file(), f"{committed} is missing"
    assert committed.read_text(encoding="utf-8") == json_schema_files()[name], (
        f"schemas/{name} differs from what the code generates; regenerate it with "
        "`make schemas` (esgscreen schemas write schemas/) or "
        "`python -m esgscreen.watchlist.jsonschema schemas/`, and commit it"
    )


def refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "$ref"] + [
            ref for item in value.values() for ref in refs(item)
        ]
    if isinstance(value, list):
        return [ref for item in value for ref in refs(item)]
    return []


@pytest.mark.parametrize("make", [entity_json_schema, taxonomy_json_schema])
def test_schema_is_self_contained_2020_12(make: Any) -> None:
    schema = make()
    assert schema["$schema"] == DRAFT
    assert schema["$id"].startswith("urn:esgscreen:schema:")
    assert schema["title"]
    assert schema["additionalProperties"] is False
    for ref in refs(schema):
        assert ref.startswith("#/$defs/") and ref.removeprefix("#/$defs/") in schema["$defs"]


def test_entity_schema_carries_the_rules() -> None:
    schema = entity_json_schema()
    definitions = schema["$defs"]
    assert schema["required"] == ["id", "kind", "name"]
    assert schema["properties"]["id"]["pattern"] == "^[a-z0-9]+(?:-[a-z0-9]+)*$"
    assert "vendor" in schema["properties"]["kind"]["enum"]
    assert definitions["Flag"]["properties"]["evidence"]["minItems"] == 1
    assert definitions["Evidence"]["properties"]["url"]["format"] == "uri"
    assert definitions["Relation"]["properties"]["share"] == {
        "description": "Percent, only when a figure was reported.",
        "maximum": 100.0,
        "minimum": 0.0,
        "type": "number",
    }
    assert definitions["Identifier"]["then"] == {"required": ["exchange"]}
    assert all(d["additionalProperties"] is False for d in definitions.values())


def test_main_writes_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(json_schema_files())
    assert "wrote" in capsys.readouterr().out
    assert main([]) == 2
