"""JSON Schemas (draft 2020-12) of the watchlist files, generated from the marshmallow schemas.

Editors use them to check the YAML while a curator types. Regenerate the committed copies with
`python -m esgscreen.watchlist.jsonschema schemas/`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from esgscreen.watchlist.schema import (
    EntityFileSchema,
    TaxonomyFileSchema,
    WebAddress,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_PREFIX = "urn:esgscreen:schema:"
ENTITY_FILE = "watchlist-entity.schema.json"
TAXONOMY_FILE = "watchlist-taxonomy.schema.json"
_COMPONENTS_REF = "#/components/schemas/"


def _definition_name(schema: type[Schema] | Schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema")


def _json_schema(schema: type[Schema], name: str, title: str, description: str) -> dict[str, Any]:
    plugin = MarshmallowPlugin(schema_name_resolver=_definition_name)
    spec = APISpec(
        title="esgscreen watchlist", version="1", openapi_version="3.1.0", plugins=[plugin]
    )
    plugin.map_to_openapi_type(WebAddress, "string", "uri")
    assert plugin.converter is not None
    document = plugin.converter.schema2jsonschema(schema())
    definitions = spec.to_dict().get("components", {}).get("schemas", {})
    result: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": f"{ID_PREFIX}{name}",
        "title": title,
        "description": description,
        **document,
    }
    if definitions:
        result["$defs"] = definitions
    return _local_refs(result)


def _local_refs(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                "#/$defs/" + item.removeprefix(_COMPONENTS_REF)
                if key == "$ref" and isinstance(item, str)
                else _local_refs(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_local_refs(item) for item in value]
    return value


def entity_json_schema() -> dict[str, Any]:
    """JSON Schema of one `watchlist/entities/<id>.yaml` file."""
    schema = _json_schema(
        EntityFileSchema,
        "watchlist-entity",
        "esgscreen watchlist entity",
        "One file watchlist/entities/<id>.yaml: an entity of the surveillance-vendor "
        "watchlist with its names, identifiers, relations and evidenced flags.",
    )
    schema["$defs"]["Identifier"].update(
        {
            "if": {"properties": {"type": {"const": "ticker"}}},
            "then": {"required": ["exchange"]},
            "else": {"not": {"required": ["exchange"]}},
        }
    )
    return schema


def taxonomy_json_schema() -> dict[str, Any]:
    """JSON Schema of `watchlist/taxonomy.yaml`."""
    return _json_schema(
        TaxonomyFileSchema,
        "watchlist-taxonomy",
        "esgscreen watchlist taxonomy",
        "The file watchlist/taxonomy.yaml: the flag codes with their definitions.",
    )


def render(schema: dict[str, Any]) -> str:
    """The committed text of a schema: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def json_schema_files() -> dict[str, str]:
    """File name -> text of every generated schema file."""
    return {
        ENTITY_FILE: render(entity_json_schema()),
        TAXONOMY_FILE: render(taxonomy_json_schema()),
    }


def write_json_schemas(directory: Path) -> list[Path]:
    """Write the schema files into `directory` (normally `schemas/`); returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in json_schema_files().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m esgscreen.watchlist.jsonschema DIRECTORY", file=sys.stderr)
        return 2
    for path in write_json_schemas(Path(args[0])):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
