"""``/docs``: the API documentation, Swagger UI served from the ``flask-swagger-ui`` package.

Nothing is loaded from another site, so the page works offline, and it runs under the same
Content-Security-Policy as every page (its start-up script is a file, not inline).
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    render_template,
    send_from_directory,
    url_for,
)
from werkzeug.wrappers import Response

from esgscreen.version import __version__

SWAGGER_UI_DIR = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"}

bp = Blueprint("esgscreen_docs", __name__)


@bp.get("/docs")
def docs() -> str:
    spec = url_for(f"{_doc_blueprint()}.openapi_json")
    return render_template("docs/swagger.html", spec_url=spec, app_version=__version__)


@bp.get("/docs/assets/<path:filename>")
def asset(filename: str) -> Response:
    if filename not in ASSETS:
        abort(404)
    return send_from_directory(SWAGGER_UI_DIR, filename, max_age=86400)


def _doc_blueprint() -> str:
    return current_app.extensions["esgscreen.api"]._make_doc_blueprint_name()


def init_app(app: Flask, prefix: str = "") -> None:
    app.register_blueprint(bp, url_prefix=prefix)
