"""Labels shown to people for codes kept in the database (French first, English through Babel)."""

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "counsellor": _l("Digital counsellor"),
    "phone_agent": _l("Phone-line agent"),
    "manager": _l("Manager"),
    "admin": _l("Administrator"),
}
