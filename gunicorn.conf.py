"""gunicorn settings read by `gunicorn wsgi:app` when started from this folder."""

from esgscreen import serving
from esgscreen.logs import GUNICORN_LOGCONFIG

logconfig_dict = GUNICORN_LOGCONFIG
limit_request_line = serving.LIMITS["limit_request_line"]
limit_request_fields = serving.LIMITS["limit_request_fields"]
limit_request_field_size = serving.LIMITS["limit_request_field_size"]
post_worker_init = serving.post_worker_init
