"""gunicorn settings for LiftClinic: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import os

from clinic.logmask import TokenMaskingFilter

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4
timeout = 60
graceful_timeout = 30
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
# The request line is logged with patient-link tokens masked (see clinic.logmask).
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'


def post_worker_init(worker):
    import logging

    for name in ("gunicorn.access", "gunicorn.error"):
        logging.getLogger(name).addFilter(TokenMaskingFilter())
