"""Signing in to the web pages, and the ``login_required`` check every page uses.

The signed-in user's id lives in the Flask session under ``SESSION_KEY`` (a host app mounting
the service keeps the rest of its session); the user is read again on each request,
so a disabled user is out at once. With ``PUBLIC_READ`` anyone may use the screener pages;
curator, reviewer and admin pages always ask for a sign-in with a role that allows them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, overload
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from esgscreen.core import bounds
from esgscreen.core.roles import ROLES, role_allows
from esgscreen.extensions import services, within_rate_limit
from esgscreen.store import audit, users
from esgscreen.web import errors

bp = Blueprint("auth", __name__)
SESSION_KEY = "esgscreen_user_id"
GENERATION_KEY = "esgscreen_generation"

View = TypeVar("View", bound=Callable[..., Any])
_UNSET = object()


def current_user() -> users.UserInfo | None:
    """The signed-in user of this request, or None."""
    cached = g.get("web_user", _UNSET)
    if cached is not _UNSET:
        return cached
    user_id = session.get(SESSION_KEY)
    user = None
    if isinstance(user_id, int):
        with services().store.read() as db:
            user = users.get_user(db, user_id)
        if user is None or session.get(GENERATION_KEY) != user.session_generation:
            # Disabled, signed out everywhere, or a new password since this cookie was made.
            user = None
            _forget()
    g.web_user = user
    return user


def web_actor() -> audit.Actor:
    """Who acts on a page: the signed-in user, or anonymous (public reading) at an address."""
    user = current_user()
    if user is None:
        return audit.Actor("anonymous", "public", None, request.remote_addr)
    return audit.Actor("user", user.username, user.id, request.remote_addr)


def _forget() -> None:
    """Sign out of the service only: a host app's own keys in the session stay."""
    session.pop(SESSION_KEY, None)
    session.pop(GENERATION_KEY, None)


def may(role: str) -> bool:
    """Whether this request may see pages that need ``role``."""
    user = current_user()
    if user is not None:
        return role_allows(user.role, role)
    return role == "screener" and bool(services().settings.public_read)


@overload
def login_required(role: View) -> View: ...
@overload
def login_required(role: str = "screener") -> Callable[[View], View]: ...


def login_required(role: Any = "screener") -> Any:
    """Let the request through when it may act as ``role``; otherwise send it to sign in
    (or answer 403 when the signed-in user's role is too low).

    Use as ``@login_required`` or ``@login_required(role="curator")``.
    """
    if callable(role):
        return login_required("screener")(role)
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; roles are: {', '.join(ROLES)}.")

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if may(role):
                return view(*args, **kwargs)
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=_here()))
            abort(403, description=f"This page needs the {role} role (or a more trusted "
                                   f"one); you are signed in as a {user.role}.")

        return wrapped  # type: ignore[return-value]

    return decorator


def _here() -> str:
    return request.full_path.rstrip("?") if request.query_string else request.path


def safe_next(target: str | None) -> str:
    """A local path to go back to after signing in; anything else goes to the lookup page."""
    if target:
        parts = urlsplit(target)
        if (not parts.scheme and not parts.netloc and target.startswith("/")
                and not target.startswith("//") and "\\" not in target):
            return target
    return url_for("lookup.index")


def _actor(username: str, user_id: int | None) -> audit.Actor:
    return audit.Actor("user", username, user_id, request.remote_addr)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("auth/login.html", next_url=next_url, username="")
    verdict = within_rate_limit(f"login:{request.remote_addr}", "esgscreen.login_limiter")
    if verdict is not None and not verdict.allowed:
        flash("Too many sign-in attempts from your address; try again in "
              f"{verdict.reset} seconds.", "error")
        return render_template("auth/login.html", next_url=next_url, username=""), 429
    username = request.form.get("username", "").strip()[:bounds.USERNAME + 1]
    password = request.form.get("password", "")[:bounds.PASSWORD + 1]
    if not username or not password:
        flash("Enter your username and your password.", "error")
        return render_template("auth/login.html", next_url=next_url,
                               username=bounds.escape_controls(username)), 400
    with services().store.read() as db:
        # A name no user can have (too long, control characters) is never looked up.
        user = users.authenticate(db, username, password)
    with services().store.write() as db:
        if user is None:
            shown = bounds.escape_controls(username)
            audit.record(db, _actor(shown, None), "user.sign_in_failed", f"user:{shown}")
        else:
            audit.record(db, _actor(user.username, user.id), "user.sign_in",
                         f"user:{user.username}")
    if user is None:
        flash("Wrong username or password.", "error")
        return render_template("auth/login.html", next_url=next_url,
                               username=bounds.escape_controls(username))
    _forget()
    session[SESSION_KEY] = user.id
    session[GENERATION_KEY] = user.session_generation
    flash(f"Signed in as {user.username}.", "info")
    return redirect(next_url)


@bp.post("/logout")
def logout() -> Response:
    user = current_user()
    if user is not None:
        with services().store.write() as db:
            # Every session of the user ends, copies of this cookie included.
            users.end_sessions(db, user.id)
            audit.record(db, _actor(user.username, user.id), "user.sign_out",
                         f"user:{user.username}")
    _forget()
    g.web_user = None
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login") if not services().settings.public_read
                    else url_for("lookup.index"))


errors.attach(bp)
