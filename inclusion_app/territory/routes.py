"""Pages of the territory (districts) for managers and admins."""

from __future__ import annotations

from flask import render_template

from inclusion_app.security import roles_required
from inclusion_app.territory import bp
from inclusion_app.territory.services import list_districts


@bp.route("/districts")
@roles_required("manager", "admin")
def districts() -> str:
    """The table of districts: name, kind, INSEE code, population."""
    return render_template("territory/districts.html", districts=list_districts())
