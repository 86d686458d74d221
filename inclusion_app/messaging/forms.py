"""Forms of the staff pages about messages: the filters of the messages page and the text checker
(GET forms: they change nothing, no CSRF token), and the phone line's call outcome (POST)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from inclusion_app.messaging.labels import CALL_OUTCOME_LABELS, CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS
from inclusion_app.messaging.outbox_admin import MessageFilters, recipient_filter

INVALID_CHOICE = _l("Choose one of the options offered.")
#: 10 segments of GSM-7: more is not an SMS anyone should send.
MAX_CHECK_LENGTH = 1600


def _choices(pairs: Any) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _any(labels: dict[str, Any]) -> list[SelectChoice]:
    return _choices([("", _l("Any")), *labels.items()])


class MessageFilterForm(FlaskForm):
    """Filters of the messages page, as query arguments; `recipient` only for admins."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=_any(STATUS_LABELS), default="", invalid_choice_message=INVALID_CHOICE)
    channel = SelectField(_l("Channel"), choices=_any(CHANNEL_LABELS), default="",
                          invalid_choice_message=INVALID_CHOICE)
    kind = SelectField(_l("Kind"), choices=_any(KIND_LABELS), default="", invalid_choice_message=INVALID_CHOICE)
    date_from = DateField(_l("Created from"), validators=[Optional()])
    date_to = DateField(_l("Created until"), validators=[Optional()])
    recipient = StringField(_l("Phone number or email address"), validators=[Optional(), Length(max=254)],
                            render_kw={"autocomplete": "off"})

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The last day must not be before the first day."))

    def validate_recipient(self, field: StringField) -> None:
        if field.data and field.data.strip() and recipient_filter(field.data) is None:
            raise ValidationError(_l("Enter a phone number or an email address."))

    def filters(self, with_recipient: bool) -> MessageFilters:
        """The valid filters (an invalid field is ignored: its error is shown next to it)."""
        def valid(name: str) -> Any:
            return None if self[name].errors else (self[name].data or None)
        recipient = valid("recipient") if with_recipient else None
        return MessageFilters(status=valid("status"), channel=valid("channel"), kind=valid("kind"),
                              date_from=valid("date_from"), date_to=valid("date_to"),
                              recipient=recipient_filter(recipient) if recipient else None)


class TextCheckForm(FlaskForm):
    """A text pasted by an admin to see its SMS counts."""

    class Meta:
        csrf = False

    text = TextAreaField(_l("Text to check"), validators=[
        InputRequired(message=_l("Paste or type a text.")),
        Length(max=MAX_CHECK_LENGTH, message=_l("At most %(max)d characters.")),
    ])


class CallForm(FlaskForm):
    """The outcome of a reminder call."""

    outcome = RadioField(_l("Outcome of the call"), choices=_choices(CALL_OUTCOME_LABELS.items()),
                         validators=[InputRequired(message=_l("Choose the outcome of the call."))],
                         invalid_choice_message=INVALID_CHOICE)
