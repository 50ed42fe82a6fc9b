"""gunicorn settings for LiftClinic: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import os

from clinic.logmask import TokenMaskingFilter

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4
timeout = 60
graceful_timeout = 30
# The app is imported once, in the master, and forked: a recycled worker starts warm in
# milliseconds instead of importing the app for two seconds. Recycling stays (it bounds any
# slow growth), spread wide so that two workers are never recycled in the same second.
preload_app = True
max_requests = 5000
max_requests_jitter = 2500
accesslog = "-"
# The request line is logged with patient-link tokens masked (see clinic.logmask).
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'


def when_ready(server):
    """In the master, after the app is loaded and before the first fork: WeasyPrint's fonts
    loaded and everything alive frozen, once (clinic.reports.pdf.warm_up_and_freeze)."""
    from clinic.reports.pdf import warm_up_and_freeze

    warm_up_and_freeze(server.app.wsgi())  # the preloaded Flask app: its templates too


def post_worker_init(worker):
    import logging

    for name in ("gunicorn.access", "gunicorn.error"):
        logging.getLogger(name).addFilter(TokenMaskingFilter())
