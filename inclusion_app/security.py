"""Access control, CSRF, security headers and safe redirects, set in code.

Deny by default: a view is reachable only when it is marked `@public` or `@roles_required(...)`;
an unmarked view answers 403 even to a logged-in admin. `check_access` runs before every request,
so a forgotten decorator fails closed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from inclusion_app.extensions import csrf

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_ENDPOINTS = {"static"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def public(view: F) -> F:
    """Mark a view as reachable without logging in."""
    view._access_public = True  # type: ignore[attr-defined]
    return view


def roles_required(*roles: str) -> Callable[[F], F]:
    """Mark a view as reachable by logged-in staff whose role is one of `roles`."""

    def mark(view: F) -> F:
        view._access_roles = frozenset(roles)  # type: ignore[attr-defined]
        return view

    return mark


def csrf_exempt_signed(view: F) -> F:
    """Exempt a view from CSRF: only for webhooks whose requests carry a provider signature."""
    view._csrf_signed = True  # type: ignore[attr-defined]
    return view


def view_access(endpoint: str | None) -> tuple[bool, frozenset[str] | None]:
    """Return (is_public, roles) for an endpoint; roles is None for an unmarked view."""
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return True, None
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return True, None
    return bool(getattr(view, "_access_public", False)), getattr(view, "_access_roles", None)


def is_api_request() -> bool:
    """True for requests under /api/, which get JSON errors instead of HTML pages."""
    return request.path.startswith("/api/")


def token_digest(token: str) -> str:
    """SHA-256 hex digest of a clear API token, as stored in `ApiToken.token_hash`."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def has_session_cookie() -> bool:
    """True when the request carries this app's session cookie."""
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


def check_access() -> ResponseReturnValue | None:
    """before_request: refuse anonymous or unauthorised access, then check CSRF on state changes.

    Anonymous: 401 JSON under /api/, else a redirect to the login page with `next`.
    Wrong role or unmarked view: 403.
    """
    from flask import abort

    if request.routing_exception is not None:
        return None  # 404 / 405: let the routing error answer
    is_public, roles = view_access(request.endpoint)
    if not is_public:
        if not current_user.is_authenticated:
            if is_api_request():
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if roles is None or not current_user.has_role(*roles):
            abort(403)
    check_csrf()
    return None


def check_csrf() -> None:
    """Check the CSRF token on POST/PUT/PATCH/DELETE.

    Exempt: a request authenticated by a Bearer token that carries no session cookie (DESIGN.md
    section 4), and webhooks marked `csrf_exempt_signed` (they check a provider signature).
    """
    if request.method not in UNSAFE_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "_csrf_signed", False):
        return
    token_only = bearer_token() is not None and not has_session_cookie()
    if token_only and current_user.is_authenticated and g.get("api_token_id") is not None:
        return
    csrf.protect()


def safe_next_url(target: str | None) -> str | None:
    """Return `target` when it is a path within this site, else None.

    Refuses absolute URLs, scheme-relative `//host` URLs, backslash tricks and control characters.
    """
    if not target or any(ord(char) < 32 for char in target):
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def content_security_policy() -> str:
    """The CSP: same origin only, no inline script; map tiles' host added to img-src."""
    img_sources = ["'self'", "data:"]
    tile_url = current_app.config.get("MAP_TILE_URL") or ""
    tile_host = urlsplit(tile_url.replace("{", "").replace("}", ""))
    if tile_host.scheme and tile_host.netloc:
        img_sources.append(f"{tile_host.scheme}://{tile_host.netloc}")
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src {' '.join(img_sources)}",
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def set_security_headers(response: Response) -> Response:
    """after_request: CSP, framing, sniffing, referrer and permissions headers on every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html" or is_api_request():
        headers.setdefault("Cache-Control", "no-store" if current_user.is_authenticated else "no-cache")
    return response


class TokenAwareSessionInterface(SecureCookieSessionInterface):
    """Never set a session cookie on a response to a request authenticated by a Bearer token."""

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if g.get("api_token_id") is not None:
            return
        super().save_session(app, session, response)


def configure_security(app: Flask) -> None:
    """Register the access check, CSRF, headers and the token-aware session interface."""
    csrf.init_app(app)
    app.session_interface = TokenAwareSessionInterface()
    app.before_request(check_access)
    app.after_request(set_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)


def _csrf_error(error: CSRFError) -> tuple[Any, int]:
    from inclusion_app.errors import error_response

    return error_response(400, "csrf", str(error.description))
