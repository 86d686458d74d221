"""Forms of the desk's pages: absences, closures and walk-in arrivals (shapes only; the rules are in
`agenda` and `agenda_walk_ins`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, Optional

from inclusion_app.scheduling.agenda import local_instant
from inclusion_app.vocabularies import PROCEDURES

#: Service errors (`agenda.AgendaError.fields`) -> the form field that shows them.
PERIOD_FIELDS = {"starts": "starts_on", "ends": "ends_on"}


class PeriodForm(FlaskForm):
    """From a local date (and time) to a local date (and time), with a reason."""

    starts_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter the first day."))])
    starts_time = TimeField(_l("From (time)"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(message=_l("Enter the last day."))])
    ends_time = TimeField(_l("Until (time)"), validators=[Optional()])
    reason = StringField(_l("Reason (optional)"),
                         validators=[Optional(), Length(max=200, message=_l("At most %(max)d characters.", max=200))])

    def period(self) -> tuple[datetime, datetime]:
        """(start, end) as aware UTC instants: an empty start time is the start of the first day, an
        empty end time the end of the last day (next midnight), both local (`TIMEZONE`)."""
        first: date = self.starts_on.data
        last: date = self.ends_on.data
        start = local_instant(first, self.starts_time.data)
        end_time: time | None = self.ends_time.data
        if end_time is None:
            return start, local_instant(last + timedelta(days=1))
        return start, local_instant(last, end_time)


class AbsenceForm(PeriodForm):
    """A counsellor's absence; `counsellor_id` is offered to managers and admins only (the route
    deletes it for a counsellor, who enters their own)."""

    counsellor_id = SelectField(_l("Counsellor"), coerce=int,
                                validators=[InputRequired(message=_l("Choose a counsellor."))])


class ClosureForm(PeriodForm):
    """A help point's closure."""

    help_point_id = SelectField(_l("Help point"), coerce=int,
                                validators=[InputRequired(message=_l("Choose a help point."))])


def procedure_choices() -> list[tuple[str, str]]:
    """The procedure categories (La Coop), with an empty first choice."""
    return [("", str(_l("Not known yet")))] + [(code, str(label)) for code, label in PROCEDURES.items()]


class WalkInForm(FlaskForm):
    """Someone arriving at the desk: the name to call out or a registered resident found by search
    (`q` keeps the search so that the choices can be shown again), the procedure and a short note."""

    help_point_id = HiddenField()
    q = HiddenField()
    resident_id = RadioField(_l("Registered resident"), choices=[], validate_choice=False, default="")
    display_name = StringField(
        _l("Name to call out"),
        validators=[Optional(), Length(max=100, message=_l("At most %(max)d characters.", max=100))],
        render_kw={"autocomplete": "off"},
    )
    procedure = SelectField(_l("Procedure"), choices=[], validate_choice=False, default="")
    notes = StringField(
        _l("Note (optional)"),
        validators=[Optional(), Length(max=300, message=_l("At most %(max)d characters.", max=300))],
        render_kw={"autocomplete": "off"},
    )

    def resident(self) -> int | None:
        """The chosen resident's id, or None (name only)."""
        value = (self.resident_id.data or "").strip()
        return int(value) if value.isdecimal() else None
