"""Forms of the booking pages: find a resident, register or edit one, say the need.

The rules stay in the services: a resident's fields are checked by `residents.services` (its
`ResidentError` messages are put on the fields here), a booking by `scheduling.booking`. These
forms only read the fields and offer the choices. The search and need forms are GET forms (no
CSRF token: they change nothing); the resident form is a POST form with its CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from babel.localedata import exists as locale_exists
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput

from inclusion_app.lieux.display import phone_display
from inclusion_app.models import Resident
from inclusion_app.scheduling.pages import Need, language_choices
from inclusion_app.vocabularies import MODES, NEEDS, PROCEDURES, REMINDER_CHANNELS

INVALID_CHOICE = _l("Choose one of the options offered.")
#: Staff type other people's data: the browser must not offer the staff member's own.
NO_AUTOFILL = {"autocomplete": "off"}


def _choices(pairs: Any) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs; values are text (ids too)."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def add_field_errors(form: FlaskForm, fields: Mapping[str, str]) -> None:
    """Put a service's per-field messages on the form's fields (unknown names on the first field)."""
    for name, message in fields.items():
        target: Field = form[name] if name in form else next(iter(form))
        target.errors = [*target.errors, message]


class ResidentSearchForm(FlaskForm):
    """`q`: a phone number in any writing, or words of the name (accents ignored)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Phone number or name"), validators=[Optional(), Length(max=100)], default="",
                    render_kw=NO_AUTOFILL)


class ResidentForm(FlaskForm):
    """A resident's contact data, checked by `residents.services.clean` on submission."""

    first_name = StringField(_l("First name"), render_kw=NO_AUTOFILL)
    last_name = StringField(_l("Last name"), render_kw=NO_AUTOFILL)
    phone = TelField(_l("Phone number"), render_kw=NO_AUTOFILL)
    email = EmailField(_l("Email address (optional)"), render_kw=NO_AUTOFILL)
    language = SelectField(_l("Language spoken"), default="fr", invalid_choice_message=INVALID_CHOICE)
    reminder_channel = RadioField(_l("Reminders"), default="none", invalid_choice_message=INVALID_CHOICE,
                                  choices=_choices(REMINDER_CHANNELS.items()))
    sms_consent = BooleanField(_l("The resident agrees to receive SMS reminders"))
    district_id = SelectField(_l("District where the resident lives"), default="",
                              invalid_choice_message=INVALID_CHOICE)

    def __init__(self, *args: Any, districts: Sequence[tuple[int, str]] = (), language: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = _choices(language_choices(language))
        self.district_id.choices = _choices([("", _("Not known")), *districts])

    @classmethod
    def for_resident(cls, resident: Resident, districts: Sequence[tuple[int, str]],
                     formdata: Any = None) -> ResidentForm:
        """The form filled with a resident's data (or with `formdata` when given)."""
        data = {name: getattr(resident, name) or "" for name in ("first_name", "last_name", "email", "language",
                                                                  "reminder_channel")}
        data.update(phone=_display_phone(resident.phone), sms_consent=resident.sms_consent,
                    district_id=str(resident.district_id or ""))
        return cls(formdata=formdata, data=data, districts=districts, language=resident.language)

    def resident_data(self) -> dict[str, Any]:
        """The fields as `residents.services.create_resident` / `update_resident` take them."""
        return {"first_name": self.first_name.data, "last_name": self.last_name.data, "phone": self.phone.data,
                "email": self.email.data, "language": self.language.data,
                "reminder_channel": self.reminder_channel.data, "sms_consent": bool(self.sms_consent.data),
                "district_id": self.district_id.data or None}


def _display_phone(e164: str | None) -> str:
    return phone_display(e164) or ""


class NeedForm(FlaskForm):
    """The need, as query arguments: `mode`, `procedure`, `needs` (repeated), `interpreter_language`,
    `district_id` (orders help points, nearest first) and `help_point_id` (on site only)."""

    class Meta:
        csrf = False

    mode = RadioField(_l("Kind of appointment"), default="on_site", choices=_choices(MODES.items()),
                      invalid_choice_message=INVALID_CHOICE)
    procedure = SelectField(_l("Procedure"), default="", invalid_choice_message=INVALID_CHOICE)
    needs = SelectMultipleField(_l("Specific needs"), choices=_choices(NEEDS.items()), option_widget=CheckboxInput(),
                                invalid_choice_message=INVALID_CHOICE)
    interpreter_language = SelectField(_l("Language of the interpreter"), default="",
                                       invalid_choice_message=INVALID_CHOICE)
    district_id = SelectField(_l("Near the district"), default="", invalid_choice_message=INVALID_CHOICE)
    help_point_id = SelectField(_l("Help point"), default="", invalid_choice_message=INVALID_CHOICE)

    def __init__(self, *args: Any, districts: Sequence[tuple[int, str]] = (),
                 help_points: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procedure.choices = _choices([("", _("Not known yet")), *PROCEDURES.items()])
        self.interpreter_language.choices = _choices([("", _("No interpreter")), *(
            (code, name) for code, name in language_choices() if code != "fr")])
        self.district_id.choices = _choices([("", _("Any district")), *districts])
        self.help_point_id.choices = _choices([("", _("Any help point")), *help_points])

    def validate_interpreter_language(self, field: Field) -> None:
        """An interpreter needs a language; a language is an ISO 639-1 code Babel knows."""
        if "interprete" in (self.needs.data or []) and not field.data:
            raise ValidationError(_("Say which language the interpreter speaks."))
        if field.data and (len(field.data) != 2 or not locale_exists(field.data)):
            raise ValidationError(_("Use a two-letter language code (ISO 639-1), e.g. ar."))

    def check_resident(self, resident: Resident) -> bool:
        """False (with a message on `mode`) for a phone appointment with a resident without a phone."""
        if self.mode.data == "phone" and not resident.phone:
            self.mode.errors = [*self.mode.errors, _("This resident has no phone number: book on site, or add "
                                                     "their number first.")]
            return False
        return True

    def need(self) -> Need:
        """The need read from a validated form."""
        on_site = self.mode.data == "on_site"
        return Need(
            mode=self.mode.data,
            procedure=self.procedure.data or None,
            needs=tuple(self.needs.data or ()),
            interpreter_language=(self.interpreter_language.data or None) if "interprete" in (self.needs.data or [])
            else None,
            district_id=int(self.district_id.data) if self.district_id.data else None,
            help_point_id=int(self.help_point_id.data) if on_site and self.help_point_id.data else None,
        )
