"""The filter form of the help-point list and map: a GET form, so no CSRF token."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from inclusion_app.lieux.display import weekday_names
from inclusion_app.lieux.queries import HelpPointFilters
from inclusion_app.lieux.standard import VOCABULARIES


def _choices(anything: str, values: Sequence[tuple[str, str]]) -> list[SelectChoice]:
    """An "any" option (value "") then `values` as (value, label)."""
    return [SelectChoice("", anything)] + [SelectChoice(value, label) for value, label in values]


def _vocabulary(name: str) -> list[tuple[str, str]]:
    """The values of a vocabulary of the standard, labelled as they are (French)."""
    return [(value, value) for value in VOCABULARIES[name]]


class HelpPointFilterForm(FlaskForm):
    """Filters as query arguments: `q`, `service`, `public`, `support`, `access`, `open_on` (0 =
    Monday … 6 = Sunday), `district` (a District id). An invalid value is reported on its field
    and that filter ignored; the others still apply."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name, commune or postcode"), validators=[Optional(), Length(max=100)], default="")
    service = SelectField(_l("Service"), default="")
    support = SelectField(_l("Specific support"), default="")
    public = SelectField(_l("Specific audience"), default="")
    access = SelectField(_l("How to get help"), default="")
    open_on = SelectField(_l("Open on"), default="")
    district = SelectField(_l("District"), default="")

    def __init__(self, *args: Any, districts: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service.choices = _choices(_("All services"), _vocabulary("services"))
        self.support.choices = _choices(_("Any support"), _vocabulary("prise_en_charge_specifique"))
        self.public.choices = _choices(_("All audiences"), _vocabulary("publics_specifiquement_adresses"))
        self.access.choices = _choices(_("Any way"), _vocabulary("modalites_acces"))
        self.open_on.choices = _choices(_("Any day"), [(str(day), name) for day, name in enumerate(weekday_names())])
        self.district.choices = _choices(_("All districts"), [(str(key), name) for key, name in districts])

    def filters(self, include_inactive: bool = False) -> HelpPointFilters:
        """The filters to apply, from the fields without errors (call `validate()` first)."""

        def value(name: str) -> str | None:
            field = self[name]
            if field.errors:
                return None
            return (field.data or "").strip() or None

        open_on, district = value("open_on"), value("district")
        return HelpPointFilters(
            service=value("service"),
            public=value("public"),
            support=value("support"),
            access=value("access"),
            open_on=int(open_on) if open_on is not None else None,
            district_id=int(district) if district is not None else None,
            q=value("q"),
            include_inactive=include_inactive,
        )

    def active_arguments(self) -> dict[str, str]:
        """The query arguments of the filters in use (valid and non-empty), to carry them in links."""
        return {
            field.name: field.data.strip()
            for field in self
            if isinstance(field.data, str) and field.data.strip() and not field.errors
        }
