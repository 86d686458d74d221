"""Configuration classes, read from the environment (DESIGN.md section 4, "Configuration").

`create_app()` picks the class named by `APP_ENV` (`development` by default, `production`,
`testing`). Only `DevelopmentConfig` and `TestConfig` carry default secrets; `ProductionConfig`
refuses to start without a `SECRET_KEY` of at least 32 characters.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
MIN_SECRET_KEY_LENGTH = 32


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


class Config:
    """Settings shared by every environment; each value can be overridden by the environment."""

    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'inclusion_app.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    TIMEZONE = _env("TIMEZONE", "Europe/Paris")

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = _env("TIMEZONE", "Europe/Paris")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = ("fr", "en")

    # Rate limits (Flask-Limiter). memory:// holds for one process; use a shared store such as
    # redis:// when several workers or machines serve the app.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Per address; a city's staff may share one address (NAT): keep the hourly figure generous.
    LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "10 per minute;300 per hour")
    # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none).
    PROXY_FIX_X_FOR = _env_int("PROXY_FIX_X_FOR", 0)
    PUBLIC_RATE_LIMIT = _env("PUBLIC_RATE_LIMIT", "120 per minute")
    API_RATE_LIMIT = _env("API_RATE_LIMIT", "600 per minute")

    # Per-account lockout, kept in the database so that it holds across workers.
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCKOUT_MINUTES = _env_int("LOGIN_LOCKOUT_MINUTES", 15)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = 8 * 3600  # seconds: one working day
    WTF_CSRF_TIME_LIMIT = None  # valid as long as the session (8 h): a long form is never lost to it
    WTF_CSRF_CHECK_DEFAULT = False  # checked in security.py, which knows about Bearer tokens

    # Booking: no slot sooner than this notice (minutes), none beyond this horizon (days).
    BOOKING_MIN_NOTICE_MINUTES = _env_int("BOOKING_MIN_NOTICE_MINUTES", 60)
    BOOKING_HORIZON_DAYS = _env_int("BOOKING_HORIZON_DAYS", 60)
    # The phone line residents call to move or cancel (printed on slips; E.164 or as written).
    SERVICE_PHONE = _env("SERVICE_PHONE")
    MAP_TILE_URL = _env("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    SMS_BACKEND = _env("SMS_BACKEND", "console")
    MAIL_BACKEND = _env("MAIL_BACKEND", "console")

    # The outbox (issue 5): reminders are queued at booking and sent by `flask scheduler`.
    REMINDERS_ENABLED = True
    # Local wall-clock times (TIMEZONE) during which nothing is sent: "HH:MM-HH:MM", may cross midnight.
    QUIET_HOURS = _env("QUIET_HOURS", "20:00-08:30")
    # Durations before the appointment at which a reminder is due, comma-separated ("48h", "48h,3h", "90m").
    REMINDER_OFFSETS = _env("REMINDER_OFFSETS", "48h")
    # Provider calls in flight at once during a pass of the outbox (threads).
    OUTBOX_SEND_CONCURRENCY = _env_int("OUTBOX_SEND_CONCURRENCY", 8)
    TWILIO_ACCOUNT_SID = _env("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = _env("TWILIO_AUTH_TOKEN")
    TWILIO_MESSAGING_SERVICE_SID = _env("TWILIO_MESSAGING_SERVICE_SID")
    TWILIO_FROM = _env("TWILIO_FROM")
    # Optional: a mock or proxy instead of https://api.twilio.com (e.g. http://127.0.0.1:8099).
    TWILIO_API_BASE_URL = _env("TWILIO_API_BASE_URL")
    SMTP_HOST = _env("SMTP_HOST", "localhost")
    SMTP_PORT = _env_int("SMTP_PORT", 25)
    SMTP_USERNAME = _env("SMTP_USERNAME")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    SMTP_STARTTLS = _env("SMTP_STARTTLS", "false") == "true"
    MAIL_FROM = _env("MAIL_FROM", "rendez-vous@localhost")

    # Help sessions: extra unmet-right codes a city adds to the defaults ("code:Label,code:Label").
    UNMET_RIGHTS_EXTRA = _env("UNMET_RIGHTS_EXTRA")

    API_PAGE_SIZE_MAX = 200
    DEMO_PASSWORDS = False


class DevelopmentConfig(Config):
    """`make run`: SQLite in the instance folder, demo passwords, cookies allowed over http."""

    SECRET_KEY = _env("SECRET_KEY", "dev-only-secret-key-not-for-production-0123456789")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    DEMO_PASSWORDS = True


class TestConfig(Config):
    """pytest: a throw-away database given by the fixtures, fast password hashing."""

    TESTING = True
    SECRET_KEY = "test-secret-key-0123456789-0123456789"  # noqa: S105 (tests only)
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 (tests only: speed; production uses scrypt)
    SMS_BACKEND = "memory"
    MAIL_BACKEND = "memory"


class ProductionConfig(Config):
    """gunicorn behind HTTPS; PostgreSQL via DATABASE_URL; SECRET_KEY required."""

    @staticmethod
    def check(settings: Mapping[str, object]) -> None:
        """Raise RuntimeError with a clear message when a required secret is missing or short."""
        key = str(settings.get("SECRET_KEY") or "")
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters in production "
                '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestConfig,
}


def config_from_env() -> type[Config]:
    """Return the configuration class named by `APP_ENV` (default `development`).

    Raises ValueError for an unknown name.
    """
    name = _env("APP_ENV", "development") or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
