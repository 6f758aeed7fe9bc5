"""The published OpenAPI document, as committed in ``schemas/openapi.json``."""

from __future__ import annotations

import json

from flask import Flask

OPENAPI_FILE = "openapi.json"


def openapi_text(app: Flask) -> str:
    spec = app.extensions["esgscreen.api"].spec.to_dict()
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
