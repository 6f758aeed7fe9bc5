"""Reading and writing the watchlist directory: `entities/<id>.yaml` and `taxonomy.yaml`.

The YAML dialect is strict: dates and words like `NO` or `ON` stay strings (only `true`/`false`
are booleans) and a key may appear once per mapping. Writing produces one canonical format, so
that writing what was read changes nothing, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from esgscreen.core.model import Entity, FlagCode, Watchlist
from esgscreen.watchlist.schema import (
    EntityFileSchema,
    TaxonomyFileSchema,
    entity_from_dict,
    entity_to_dict,
    taxonomy_from_dict,
    taxonomy_to_dict,
)
from esgscreen.watchlist.validate import (
    Problem,
    WatchlistInvalid,
    cross_check,
    ordered,
    validation_problems,
)

ENTITIES = "entities"
TAXONOMY = "taxonomy.yaml"

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class StrictLoader(yaml.SafeLoader):
    """SafeLoader without timestamps, with YAML 1.2 booleans, refusing duplicate keys."""

    yaml_implicit_resolvers = {
        first: [(tag, regex) for tag, regex in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        lines: dict[tuple[str, str], int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = (key_node.tag, key_node.value)
            if key in lines:
                raise yaml.constructor.ConstructorError(
                    f"in the mapping starting on line {node.start_mark.line + 1}",
                    node.start_mark,
                    f"the key '{key_node.value}' appears twice (first on line {lines[key]}): "
                    "keep one",
                    key_node.start_mark,
                )
            lines[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


StrictLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Folded(str):
    """Prose that is folded at the line width when it is long."""


class _Quoted(str):
    """A date: always in single quotes, as the file format asks, whatever its precision."""


class _Flow(list[str]):
    """A short list of names written on one line: [UFED, Pathfinder]."""


class CanonicalDumper(yaml.SafeDumper):
    """Block style, sequences indented under their key, only folded prose wraps."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def write_plain(self, text: str, split: bool = True) -> None:
        super().write_plain(text, split=False)

    def write_single_quoted(self, text: str, split: bool = True) -> None:
        super().write_single_quoted(text, split=False)

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        super().write_double_quoted(text, split=False)


_FOLD_AFTER = 80  # characters of prose before it is folded onto its own lines
_PROSE_KEYS = frozenset({"description", "summary", "definition", "note", "title", "share_text"})
_FLOW_KEYS = frozenset({"products", "standards"})
_DATE_KEYS = frozenset({"since", "until", "date"})


def _represent_folded(dumper: yaml.SafeDumper, data: _Folded) -> yaml.ScalarNode:
    text = str(data)
    foldable = len(text) > _FOLD_AFTER and "\n" not in text and "  " not in text
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=">" if foldable else None)


def _represent_quoted(dumper: yaml.SafeDumper, data: _Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="'")


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(data), flow_style=True)


CanonicalDumper.add_representer(_Folded, _represent_folded)
CanonicalDumper.add_representer(_Quoted, _represent_quoted)
CanonicalDumper.add_representer(_Flow, _represent_flow)


def _styled(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _styled(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_styled(item) for item in value]
        return _Flow(items) if key in _FLOW_KEYS else items
    if isinstance(value, str) and key in _PROSE_KEYS:
        return _Folded(value)
    if isinstance(value, str) and key in _DATE_KEYS:
        return _Quoted(value)
    return value


def dump_yaml(data: Any) -> str:
    """`data` (plain dicts, lists and scalars in file order) in the canonical YAML format."""
    return yaml.dump(
        _styled(data),
        Dumper=CanonicalDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        indent=2,
        width=80,
    )


def load_yaml(text: str) -> Any:
    """Parse one YAML document in the strict dialect; raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=StrictLoader)


def entity_to_yaml(entity: Entity) -> str:
    """The canonical text of `entities/<id>.yaml`."""
    return dump_yaml(entity_to_dict(entity))


def taxonomy_to_yaml(codes: Iterable[FlagCode]) -> str:
    """The canonical text of `taxonomy.yaml`."""
    return dump_yaml(taxonomy_to_dict(codes))


def write_watchlist(watchlist: Watchlist, directory: Path) -> list[Path]:
    """Write `watchlist` as files under `directory`; entity files of entities that are not in
    it are removed. Files whose content is unchanged are left untouched. Returns the paths of
    the watchlist's files: the taxonomy, then the entities by id."""
    entities_dir = directory / ENTITIES
    entities_dir.mkdir(parents=True, exist_ok=True)
    paths = [directory / TAXONOMY]
    _write_if_changed(paths[0], taxonomy_to_yaml(list(watchlist.taxonomy.values())))
    for entity_id in sorted(watchlist.entities):
        path = entities_dir / f"{entity_id}.yaml"
        _write_if_changed(path, entity_to_yaml(watchlist.entities[entity_id]))
        paths.append(path)
    for stale in sorted(set(entities_dir.glob("*.yaml")) - set(paths)):
        stale.unlink()
    return paths


def _write_if_changed(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


@dataclass(frozen=True)
class _Document:
    data: Any
    problems: list[Problem]


def _read_document(path: Path, label: str) -> _Document:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        return _Document(None, [Problem(label, "", f"is not UTF-8 text ({error.reason})")])
    except OSError as error:
        return _Document(None, [Problem(label, "", f"cannot be read: {error.strerror}")])
    try:
        data = load_yaml(text)
    except yaml.MarkedYAMLError as error:
        return _Document(None, [Problem(label, "", _yaml_message(error))])
    except yaml.YAMLError as error:
        return _Document(None, [Problem(label, "", f"is not valid YAML: {error}")])
    if not isinstance(data, dict):
        found = "is empty" if data is None else "is not a mapping of fields"
        return _Document(None, [Problem(label, "", f"{found}: expected 'key: value' lines")])
    return _Document(data, [])


def _yaml_message(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    what = error.problem or "unreadable"
    context = f" ({error.context})" if error.context else ""
    syntax = isinstance(error, yaml.scanner.ScannerError | yaml.parser.ParserError)
    hint = "; check the indentation and quoting there" if syntax else ""
    return f"YAML syntax error{where}: {what}{context}{hint}"


def _read_entity(path: Path, label: str) -> tuple[Entity | None, list[Problem]]:
    document = _read_document(path, label)
    if document.data is None:
        return None, document.problems
    try:
        data = _ENTITY_SCHEMA.load(document.data)
    except ValidationError as error:
        return None, validation_problems(error, _ENTITY_SCHEMA, label)
    entity = entity_from_dict(data)
    if entity.id != path.stem:
        return entity, [
            Problem(
                label,
                "id",
                f"is '{entity.id}' but the file is named {path.name}: the file name must be the "
                f"id (rename the file to {entity.id}.yaml or change the id)",
            )
        ]
    return entity, []


def _read_taxonomy(path: Path, label: str) -> tuple[list[FlagCode] | None, list[Problem]]:
    if not path.is_file():
        return None, [Problem(label, "", "is missing: the flag codes are defined there")]
    document = _read_document(path, label)
    if document.data is None:
        return None, document.problems
    try:
        data = _TAXONOMY_SCHEMA.load(document.data)
    except ValidationError as error:
        return None, validation_problems(error, _TAXONOMY_SCHEMA, label)
    codes = taxonomy_from_dict(data)
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code.code in seen:
            problems.append(
                Problem(label, f"flags[{index}].code", f"'{code.code}' is defined twice")
            )
        seen.add(code.code)
    return codes, problems


def read_watchlist(directory: Path, version: int = 0) -> Watchlist:
    """Read and check a watchlist directory. Raises `WatchlistInvalid` with every problem found
    (syntax, schema, file names, references, taxonomy codes, identifiers)."""
    if not directory.is_dir():
        raise WatchlistInvalid([Problem(str(directory), "", "is not a directory")])
    problems: list[Problem] = []
    taxonomy, taxonomy_problems = _read_taxonomy(directory / TAXONOMY, str(directory / TAXONOMY))
    problems += taxonomy_problems
    entities_dir = directory / ENTITIES
    entries: list[tuple[str, Entity]] = []
    unreadable: list[str] = []
    if not entities_dir.is_dir():
        problems.append(Problem(str(entities_dir), "", "is missing: entity files go there"))
    else:
        for path in sorted(entities_dir.iterdir()):
            if path.name.startswith("."):
                continue
            if path.suffix == ".yml":
                problems.append(
                    Problem(str(path), "", f"entity files end in .yaml: rename it {path.stem}.yaml")
                )
            if path.suffix != ".yaml":
                continue
            entity, entity_problems = _read_entity(path, str(path))
            problems += entity_problems
            if entity is None:
                unreadable.append(path.stem)
            else:
                entries.append((str(path), entity))
    codes = None if taxonomy is None else {code.code: code for code in taxonomy}
    problems += cross_check(entries, codes, unreadable_ids=unreadable)
    if problems:
        raise WatchlistInvalid(ordered(problems))
    return Watchlist.build(
        version, sorted((entity for _, entity in entries), key=lambda e: e.id), taxonomy or []
    )


_ENTITY_SCHEMA = EntityFileSchema()
_TAXONOMY_SCHEMA = TaxonomyFileSchema()


def validate_directory(directory: Path) -> list[Problem]:
    """Every problem of a watchlist directory (`entities/*.yaml`, `taxonomy.yaml`); never raises
    for bad data."""
    try:
        read_watchlist(directory)
    except WatchlistInvalid as invalid:
        return invalid.problems
    return []
