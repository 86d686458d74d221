"""Recount the reports' days of help sessions: the counts gained a breakdown by social status.

Marks every day that has a help session as dirty (`report_dirty_days`); the report pages and the
scheduler's `refresh-report-facts` job recompute them (`inclusion_app.reports.facts`). Data only:
the schema does not change.

Revision ID: 9c3e51d2a7b4
Revises: 4a06f6db1c4e
Create Date: 2026-11-29 21:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '9c3e51d2a7b4'
down_revision = '4a06f6db1c4e'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "INSERT INTO report_dirty_days (day) SELECT DISTINCT date FROM help_sessions "
        "WHERE date NOT IN (SELECT day FROM report_dirty_days)"
    )


def downgrade():
    pass  # the counts stay correct without the breakdown; nothing to undo
