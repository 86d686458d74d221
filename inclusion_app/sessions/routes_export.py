"""The CSV export of one's help sessions in La Coop's columns (`export.py`), for counsellors."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Response, abort, request
from flask_login import current_user
from sqlalchemy.orm import selectinload

from inclusion_app.extensions import db
from inclusion_app.models.sessions import HelpSession
from inclusion_app.security import roles_required
from inclusion_app.sessions import bp
from inclusion_app.sessions.export import export_csv


def _day(name: str) -> date | None:
    """`?name=` as a date (absent: None); a malformed date is a 400."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400)


@bp.route("/export.csv")
@roles_required("counsellor")
def export() -> Response:
    """The counsellor's own live sessions, `?date_from=&date_to=` inclusive, oldest first, as CSV."""
    query = (sa.select(HelpSession)
             .where(HelpSession.counsellor_id == current_user.id, HelpSession.deleted_at.is_(None))
             .options(selectinload(HelpSession.help_point), selectinload(HelpSession.unmet_rights))
             .order_by(HelpSession.date, HelpSession.id))
    if (start := _day("date_from")) is not None:
        query = query.where(HelpSession.date >= start)
    if (end := _day("date_to")) is not None:
        query = query.where(HelpSession.date <= end)
    name = f"accompagnements-{start or 'debut'}-{end or 'fin'}.csv"
    return Response(export_csv(db.session.scalars(query)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
