"""The Blueprint every API module uses: flask-smorest's, reading query strings as plain dicts.

webargs wraps query strings in a proxy that makes marshmallow's type checks slow on the
screening hot path; no query parameter of this API takes several values, so the first value
of each is what a view gets.
"""

from __future__ import annotations

from typing import Any

import flask
import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser

from esgscreen.api.problems import register_domain_errors


class FlatQueryParser(FlaskParser):
    def load_querystring(self, req: flask.Request, schema: ma.Schema) -> Any:
        return req.args.to_dict()


class Blueprint(flask_smorest.Blueprint):
    """An API blueprint: flat query strings, and the domain errors answered as problems."""

    ARGUMENTS_PARSER = FlatQueryParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        register_domain_errors(self)
