"""Flask extensions, created here once and bound to the app in `create_app()`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import g
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that Alembic migrations name them the same on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model, with the naming convention above."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def rate_limit_key() -> str:
    """Key for Flask-Limiter: the API token, else the logged-in account, else the client address."""
    from flask_login import current_user

    if current_user.is_authenticated:  # loads the user, and g.api_token_id for a Bearer token
        token_id = g.get("api_token_id")
        if token_id is None:
            return f"user:{current_user.get_id()}"
    token_id = g.get("api_token_id")
    if token_id is not None:
        return f"token:{token_id}"
    return f"addr:{get_remote_address()}"


db = SQLAlchemy(model_class=Base)
# The base class of the models: `db.Model` at run time; `Base` for the type checker, which cannot
# see the class Flask-SQLAlchemy builds.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=rate_limit_key)
