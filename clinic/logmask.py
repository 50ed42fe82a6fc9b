"""Keep patient-link tokens and query strings out of every log line (access logs included).

A token in a log is a working key to a patient's questionnaire or program: the filter
rewrites ``/q/<token>`` and ``/p/<token>`` to ``/q/[token]`` in each record before it is
written, whatever logger or handler produced it. A query string can hold what a clinician
typed into a search box (a patient's name), so a path's query becomes ``?[query]``: the
development server's access log writes the full request line (gunicorn's format leaves the
query out already).
"""

import logging
import re

TOKEN_PATH = re.compile(r"(/[qp]/)[A-Za-z0-9_-]{16,}")
# A path (after a space or a quote, as in a request line) followed by its query string.
QUERY_STRING = re.compile(r"""((?:^|[\s"'])/[^\s?"']*)\?[^\s"']*""")


def mask_tokens(text):
    """``text`` with link tokens and the query strings of paths masked."""
    return QUERY_STRING.sub(r"\1?[query]", TOKEN_PATH.sub(r"\1[token]", text))


class TokenMaskingFilter(logging.Filter):
    """Rewrites the message and its arguments; never drops a record."""

    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = mask_tokens(record.msg)
        if record.args:
            if isinstance(record.args, dict):
                record.args = {k: mask_tokens(v) if isinstance(v, str) else v
                               for k, v in record.args.items()}
            else:
                record.args = tuple(mask_tokens(a) if isinstance(a, str) else a
                                    for a in record.args)
        return True


def install():
    """Mask every log record as it is created, whichever logger or library makes it.

    A filter on a logger does not see records that child loggers pass up (Flask's
    "Exception on /q/<token>" comes from the app's own logger), so the masking sits in the
    record factory, which every record goes through.
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "masks_tokens", False):
        return
    token_filter = TokenMaskingFilter()

    def masked_record(*args, **kwargs):
        record = factory(*args, **kwargs)
        token_filter.filter(record)
        return record

    masked_record.masks_tokens = True
    logging.setLogRecordFactory(masked_record)
