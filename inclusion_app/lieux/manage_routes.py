"""Managers' and admins' pages to create, edit and deactivate help points."""
