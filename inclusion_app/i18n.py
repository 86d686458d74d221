"""Language selection: French first, English second (Flask-Babel catalogs in `translations/`)."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_login import current_user

LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600  # seconds

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def select_locale() -> str:
    """The language cookie, else the account's preference, else French (`BABEL_DEFAULT_LOCALE`).

    The browser's Accept-Language is not followed: the service is French first, and a resident's
    helper switches explicitly.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands and jobs: the default, unless force_locale says otherwise
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen is not None and chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return str(current_user.language)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def current_locale() -> str:
    """The language of the current request, as a code (`fr`, `en`)."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else "fr"
