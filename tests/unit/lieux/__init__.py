"""Tests of the help-point modules (inclusion_app.lieux): no database, no Flask app."""
