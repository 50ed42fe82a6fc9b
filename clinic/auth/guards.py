"""Who may reach a view: every view needs a logged-in clinician unless it is marked public."""

import functools
from urllib.parse import urlsplit

from flask import abort, current_app, request, session
from flask_login import current_user

from clinic.extensions import login_manager

SESSION_KEY = "login_key"


def public(view):
    """Mark a view as reachable without logging in (login page, patient links, health)."""
    view.is_public = True
    return view


def role_required(*roles):
    """Allow only clinicians with one of ``roles``; others get 403 (they know the page exists)."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def require_login_by_default():
    """before_request: deny by default, so a new view cannot forget its login check."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def load_user(user_id):
    """Flask-Login's user loader: the user only while their login session lives on the server."""
    from clinic.auth.services import user_for_session

    return user_for_session(user_id, session.get(SESSION_KEY))


def is_safe_next(target):
    """A ``?next=`` target is followed only when it is a path on this site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
