"""The curated watchlist as YAML files: schema, reading, canonical writing and validation.

No Flask or SQLAlchemy here: the store, the CLI and the curation API build on it.
"""

from esgscreen.watchlist.files import (
    entity_to_yaml,
    read_watchlist,
    validate_directory,
    write_watchlist,
)
from esgscreen.watchlist.schema import (
    EntityFileSchema,
    TaxonomyFileSchema,
    entity_from_dict,
    entity_to_dict,
    load_entity,
)
from esgscreen.watchlist.validate import (
    Problem,
    WatchlistInvalid,
    validate_entities,
)

__all__ = [
    "EntityFileSchema",
    "Problem",
    "TaxonomyFileSchema",
    "WatchlistInvalid",
    "entity_from_dict",
    "entity_to_dict",
    "entity_to_yaml",
    "load_entity",
    "read_watchlist",
    "validate_directory",
    "validate_entities",
    "write_watchlist",
]
