"""inclusion_app: the digital-inclusion desk of a French city (see DESIGN.md).

`create_app(config=None)` builds the Flask application in small `configure_*` steps.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from config import Config, config_from_env

__version__ = "0.1.0"


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build the app.

    `config` is a configuration class (see config.py), or a mapping of settings applied on top
    of the class chosen by `APP_ENV`, or None for that class alone. A production configuration
    without a strong `SECRET_KEY`, or a `QUIET_HOURS` / `REMINDER_OFFSETS` that does not parse,
    raises RuntimeError before anything starts.
    """
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    _load_config(app, config)
    from inclusion_app.messaging.timing import check_settings

    check_settings(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure_logging(app)
    configure_extensions(app)
    from inclusion_app.inputs import configure_inputs

    configure_inputs(app)
    configure_blueprints(app)
    configure_security_and_errors(app)
    configure_templates(app)
    from inclusion_app.cli import configure_cli

    configure_cli(app)
    return app


def _load_config(app: Flask, config: type[Config] | Mapping[str, Any] | None) -> None:
    if config is None or isinstance(config, Mapping):
        base = config_from_env()
        app.config.from_object(base)
        app.config.update(config or {})
    else:
        base = config
        app.config.from_object(config)
    if app.config.get("PROXY_FIX_X_FOR"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]), x_proto=1)  # type: ignore[method-assign]
    check = getattr(base, "check", None)
    if check is not None:
        check(app.config)


def configure_logging(app: Flask) -> None:
    """Log to stderr at INFO (DEBUG in debug mode) with the logger's name."""
    if not app.debug and not app.testing and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def configure_extensions(app: Flask) -> None:
    """Bind the database, migrations, login, Babel and the rate limiter."""
    from inclusion_app import models  # noqa: F401  (registers the tables)
    from inclusion_app.auth.services import user_for_token
    from inclusion_app.extensions import babel, db, limiter, login_manager, migrate
    from inclusion_app.i18n import select_locale

    db.init_app(app)
    with app.app_context():
        from inclusion_app.sqlite import configure_sqlite

        configure_sqlite(db.engine)
    migrate.init_app(
        app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True, compare_type=True
    )
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> Any:
        from inclusion_app.models import User

        user = db.session.get(User, int(user_id)) if user_id.isdecimal() else None
        return user if user is not None and user.is_active else None

    @login_manager.request_loader
    def load_user_from_token(request: Any) -> Any:
        from inclusion_app.security import bearer_token

        token = bearer_token()
        return user_for_token(token) if token else None


def configure_blueprints(app: Flask) -> None:
    """Register one blueprint per feature package."""
    from inclusion_app.admin import bp as admin_bp
    from inclusion_app.api import bp as api_bp
    from inclusion_app.auth import bp as auth_bp
    from inclusion_app.lieux import bp as lieux_bp
    from inclusion_app.main import bp as main_bp
    from inclusion_app.messaging.routes import bp as messages_bp
    from inclusion_app.messaging.webhooks import bp as webhooks_bp
    from inclusion_app.reports import bp as reports_bp
    from inclusion_app.scheduling import bp as scheduling_bp
    from inclusion_app.sessions import bp as sessions_bp
    from inclusion_app.territory import bp as territory_bp

    for blueprint in (main_bp, auth_bp, admin_bp, territory_bp, lieux_bp, scheduling_bp, sessions_bp, api_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(messages_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(reports_bp)


def configure_security_and_errors(app: Flask) -> None:
    """Access control, CSRF, security headers, and error pages / JSON errors."""
    from inclusion_app.api.errors import register_api_errors
    from inclusion_app.errors import configure_errors
    from inclusion_app.security import configure_security

    configure_security(app)
    configure_errors(app)
    register_api_errors(app)


def configure_templates(app: Flask) -> None:
    """Template globals: the languages offered and the role labels."""
    from flask_babel import format_decimal

    from inclusion_app.i18n import LANGUAGE_NAMES, current_locale
    from inclusion_app.labels import ROLE_LABELS
    from inclusion_app.navigation import menu_items

    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES, ROLE_LABELS=ROLE_LABELS, current_locale=current_locale, menu_items=menu_items
    )
    app.jinja_env.filters["format_number"] = format_decimal
