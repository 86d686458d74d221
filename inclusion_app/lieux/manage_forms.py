"""Forms of the managers' help-point pages: every field of the national standard v1.0.2, plus local data.

Field names are the standard's (`standard.FIELD_NAMES`), except its `id`, named `lieu_id` as in the
model. The form checks the shape of what is typed (required, lengths, choices); the rules of the
standard (codes, phone, coordinates, hours…) are checked by `manage_services.check_help_point`, which
runs `standard.normalise_record` exactly as the importer does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from inclusion_app.lieux import standard
from inclusion_app.models import HelpPoint

#: Opening hours shown as an example next to `horaires` (OpenStreetMap `opening_hours` syntax).
HOURS_EXAMPLE = "Mo-Fr 09:00-12:00,14:00-17:00; PH off"
#: The standard's vocabularies offered as checkbox groups, in the order of the form.
CHECKBOX_FIELDS: tuple[str, ...] = (
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "itinerance",
    "modalites_acces",
    "modalites_accompagnement",
    "dispositif_programmes_nationaux",
    "formations_labels",
)
#: Free lists typed as text (several values separated by spaces).
TEXT_LIST_FIELDS: tuple[str, ...] = ("courriels", "site_web")
#: Text fields of the standard, as typed (`lieu_id` stands for the standard's `id`).
TEXT_FIELDS: tuple[str, ...] = (
    "nom", "lieu_id", "pivot", "structure_parente", "source", "presentation_resume", "presentation_detail",
    "adresse", "complement_adresse", "code_postal", "commune", "code_insee", "latitude", "longitude",
    "telephone", "prise_rdv", "fiche_acces_libre", "horaires", "autres_formations_labels",
)  # fmt: skip
URL_PATTERN = r"^https?://\S+$"


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (rendered inside a fieldset with a legend)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _vocabulary(label: Any, field_name: str) -> MultiCheckboxField:
    """Checkboxes of a vocabulary of the standard; each value is its own (French) label."""
    return MultiCheckboxField(label, choices=list(standard.VOCABULARIES[field_name]), validate_choice=True)


def _text(label: Any, max_length: int, required_message: Any = None, **render_kw: Any) -> StringField:
    validators: list[Any] = [DataRequired(message=required_message)] if required_message else [Optional()]
    validators.append(Length(max=max_length, message=_l("At most %(max)d characters.", max=max_length)))
    return StringField(label, validators=validators, render_kw=render_kw or None)


def _url(label: Any) -> StringField:
    return StringField(
        label,
        validators=[
            Optional(),
            Length(max=500, message=_l("At most %(max)d characters.", max=500)),
            Regexp(URL_PATTERN, message=_l("Enter a web address starting with https://")),
        ],
        render_kw={"inputmode": "url", "spellcheck": "false", "autocapitalize": "none"},
    )


class HelpPointForm(FlaskForm):
    """A help point: the standard's fields with French labels, the structure, counsellors, status.

    `structure_id` and `counsellor_ids` get their choices from the route (`set_choices`).
    """

    nom = _text(_l("Name"), 300, _l("Enter the name of the help point."))
    lieu_id = _text(_l("Local unique identifier"), 200, spellcheck="false", autocapitalize="none")
    pivot = _text(_l("SIRET, RNA or RIDET number"), 40, inputmode="numeric", spellcheck="false")
    typologie = SelectMultipleField(
        _l("Type of place"), choices=list(standard.TYPOLOGIES), render_kw={"size": 6}
    )
    structure_parente = _text(_l("Parent structure"), 300)
    source = _text(_l("Organisation collecting the data"), 200)
    presentation_resume = TextAreaField(
        _l("Short presentation"),
        validators=[Optional(), Length(max=standard.RESUME_MAX_LENGTH,
                                       message=_l("At most %(max)d characters.", max=standard.RESUME_MAX_LENGTH))],
        render_kw={"rows": 3, "maxlength": standard.RESUME_MAX_LENGTH},
    )
    presentation_detail = TextAreaField(_l("Detailed presentation"), render_kw={"rows": 5})

    adresse = _text(_l("Street address"), 300, _l("Enter the street address."), autocomplete="street-address")
    complement_adresse = _text(_l("Address details"), 300)
    code_postal = _text(_l("Postcode"), 10, _l("Enter the postcode."), inputmode="numeric",
                        autocomplete="postal-code")
    commune = _text(_l("Commune"), 200, _l("Enter the commune."))
    code_insee = _text(_l("INSEE code"), 10, spellcheck="false")
    latitude = _text(_l("Latitude"), 30, inputmode="decimal", spellcheck="false")
    longitude = _text(_l("Longitude"), 30, inputmode="decimal", spellcheck="false")

    telephone = _text(_l("Phone number"), 40, type="tel", autocomplete="off")
    courriels = _text(_l("Email addresses"), 1000, spellcheck="false", autocapitalize="none")
    site_web = _text(_l("Websites"), 1000, spellcheck="false", autocapitalize="none")
    prise_rdv = _url(_l("Online appointment booking (web address)"))
    fiche_acces_libre = _url(_l("Acceslibre page (web address)"))
    horaires = _text(_l("Opening hours"), 1000, spellcheck="false")

    services = _vocabulary(_l("Services"), "services")
    publics_specifiquement_adresses = _vocabulary(_l("Audiences specifically served"),
                                                  "publics_specifiquement_adresses")
    prise_en_charge_specifique = _vocabulary(_l("Specific support"), "prise_en_charge_specifique")
    frais_a_charge = _vocabulary(_l("Fees"), "frais_a_charge")
    itinerance = _vocabulary(_l("Mobile or fixed"), "itinerance")
    modalites_acces = _vocabulary(_l("How to get help"), "modalites_acces")
    modalites_accompagnement = _vocabulary(_l("Kinds of support"), "modalites_accompagnement")
    dispositif_programmes_nationaux = _vocabulary(_l("National schemes and programmes"),
                                                  "dispositif_programmes_nationaux")
    formations_labels = _vocabulary(_l("Training and labels"), "formations_labels")
    autres_formations_labels = _text(_l("Other training and labels"), 1000)
    date_maj = DateField(_l("Date of update"), validators=[Optional()], format="%Y-%m-%d")

    structure_id = SelectField(_l("Structure"), coerce=int, validate_choice=True)
    counsellor_ids = MultiCheckboxField(_l("Counsellors working here"), coerce=int, validate_choice=True)
    is_active = BooleanField(_l("Active: shown on the map and in the open data"), default=True)
    submit = SubmitField(_l("Save the help point"))

    def set_choices(self, structures: list[tuple[int, str]], counsellors: list[tuple[int, str]]) -> None:
        """Offer these structures (with "none" first, value 0) and counsellors (id, name)."""
        self.structure_id.choices = [SelectChoice("0", str(_l("None")))] + [
            SelectChoice(str(key), name) for key, name in structures
        ]
        self.counsellor_ids.choices = [SelectChoice(str(key), name) for key, name in counsellors]

    def standard_values(self) -> dict[str, Any]:
        """What was typed, keyed by the standard's field names, as `standard.normalise_record` reads it."""
        values: dict[str, Any] = {name: getattr(self, name).data for name in TEXT_FIELDS if name != "lieu_id"}
        values["id"] = self.lieu_id.data
        for name in (*CHECKBOX_FIELDS, "typologie"):
            values[name] = list(getattr(self, name).data or [])
        for name in TEXT_LIST_FIELDS:
            values[name] = self[name].data
        values["date_maj"] = self.date_maj.data
        return values

    def local_values(self) -> dict[str, Any]:
        """The local data: `structure_id` (int or None), `counsellor_ids` (list of int), `is_active`."""
        return {
            "structure_id": self.structure_id.data or None,
            "counsellor_ids": list(self.counsellor_ids.data or []),
            "is_active": bool(self.is_active.data),
        }


def form_data(help_point: HelpPoint | None, today: date) -> dict[str, Any]:
    """Initial values of `HelpPointForm` for an existing help point (None: a new one).

    `date_maj` is `today`: saving the form updates the record. Lists typed as text are joined
    with a space (emails, websites).
    """
    if help_point is None:
        return {"date_maj": today, "is_active": True, "structure_id": 0}
    data: dict[str, Any] = {name: getattr(help_point, name) for name in TEXT_FIELDS}
    data["latitude"] = _coordinate(help_point.latitude)
    data["longitude"] = _coordinate(help_point.longitude)
    for name in (*CHECKBOX_FIELDS, "typologie"):
        data[name] = list(getattr(help_point, name) or [])
    for name in TEXT_LIST_FIELDS:
        data[name] = " ".join(getattr(help_point, name) or [])
    data["date_maj"] = today
    data["structure_id"] = help_point.structure_id or 0
    data["counsellor_ids"] = [user.id for user in help_point.counsellors]
    data["is_active"] = help_point.is_active
    return data


def _coordinate(value: float | None) -> str | None:
    return None if value is None else f"{value:.7f}".rstrip("0").rstrip(".")


class SearchForm(FlaskForm):
    """The search box of the list (GET, no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search by name, address, postcode or identifier"), validators=[Optional(), Length(max=200)],
                    render_kw={"type": "search"})
