"""What the benchmarks share: a fresh app on a given database."""

from __future__ import annotations

from flask import Flask

from config import TestConfig
from inclusion_app import create_app
from inclusion_app.extensions import db
from inclusion_app.territory.services import DEMO_DISTRICTS, import_districts, read_feature_collection


def fresh_app(database_url: str) -> Flask:
    """An app on `database_url` with empty tables (dropped and re-created) and the Grand Poitiers districts."""
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    with app.app_context():
        db.drop_all()
        db.create_all()
        import_districts(read_feature_collection(DEMO_DISTRICTS))
        db.session.commit()
    return app
