"""gunicorn settings read by `gunicorn wsgi:app` when started from this folder."""

from esgscreen.logs import GUNICORN_LOGCONFIG

logconfig_dict = GUNICORN_LOGCONFIG
