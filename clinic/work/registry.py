"""The kinds of background work: for each, the sweep that finds its due rows and the call that
does one row. Named by import path and resolved when first used, so a kind whose package is
not installed yet is skipped (one warning) instead of stopping every worker."""

import importlib
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    """``sweep(*, now, worker_id, limit) -> int`` and ``one(key, *, now, worker_id) -> bool``."""

    name: str
    sweep: object  # "package.module:function" or a callable
    one: object = None


KINDS = {
    "outbox": Kind("outbox", "clinic.outbox.services:deliver_due",
                   "clinic.outbox.services:deliver_one"),
    "reports": Kind("reports", "clinic.reports.batch:run_pending",
                    "clinic.reports.batch:run_item"),
}

_warned = set()


def register(name, sweep, one=None):
    """Add (or replace) a kind; the paths are ``"package.module:function"``."""
    KINDS[name] = Kind(name, sweep, one)


def unregister(name):
    KINDS.pop(name, None)
    _warned.discard(name)


def resolve(path):
    """The function ``path`` names, or None when its module does not exist (yet).

    A callable is taken as it is (tests and plug-ins may register functions directly).
    """
    if callable(path):
        return path
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # Only the module itself (or a parent package) missing means "not here yet"; an
        # import error inside an existing module is a bug and is raised.
        if error.name and module_name.startswith(error.name):
            return None
        raise
    return getattr(module, attribute, None)


def _resolved(name, which):
    kind = KINDS.get(name)
    path = getattr(kind, which, None) if kind else None
    function = resolve(path) if path else None
    if function is None and name not in _warned:
        _warned.add(name)
        log.warning("work kind %r skipped: %s is not available", name, path or "not registered")
    return function


def sweep_of(name):
    """The kind's sweep function, or None (warned once) when it is not available."""
    return _resolved(name, "sweep")


def one_of(name):
    """The kind's one-row function, or None (warned once) when it is not available."""
    return _resolved(name, "one")


def names():
    return list(KINDS)
