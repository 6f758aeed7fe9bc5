"""gunicorn settings read by `gunicorn wsgi:app` when started from this folder."""

from esgscreen import serving
from esgscreen.logs import GUNICORN_LOGCONFIG
from esgscreen.service.metrics import prepare_multiprocess_dir, worker_exited
from esgscreen.service.screenlog import flush_all

logconfig_dict = GUNICORN_LOGCONFIG
limit_request_line = serving.LIMITS["limit_request_line"]
limit_request_fields = serving.LIMITS["limit_request_fields"]
limit_request_field_size = serving.LIMITS["limit_request_field_size"]
post_worker_init = serving.post_worker_init
# Every worker's metrics in files here, added up by /metrics (set before any worker starts).
prepare_multiprocess_dir()


def worker_exit(server, worker):
    flush_all()  # the worker's buffered screening records


def child_exit(server, worker):
    worker_exited(worker.pid)
