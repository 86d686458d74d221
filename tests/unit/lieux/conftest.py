"""Fixtures for the help-point tests: no database, no Flask app."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "lieux"


@pytest.fixture
def lieux_data() -> Path:
    """Folder of the help-point test files (see its SOURCE.md)."""
    return DATA_DIR


@pytest.fixture
def today() -> date:
    """A fixed import date, used as the default `date_maj`."""
    return date(2026, 11, 29)
