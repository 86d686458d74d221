"""The filters every report takes: a period of local dates, a district, a help point.

DESIGN.md section 4: `date_from` and `date_to` are inclusive local dates (`TIMEZONE`); a period
counts sessions (and the rights detected in them) by the session's date, appointments by their
start. Default period: the twelve months up to today.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from inclusion_app.extensions import db
from inclusion_app.inputs import MAX_ID
from inclusion_app.models import District, HelpPoint

MAX_PERIOD_DAYS = 5 * 366


class FilterError(ValueError):
    """Invalid report filters; `fields` maps each parameter to a message in the user's language."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(fields)
        self.fields = fields


@dataclass(frozen=True)
class ReportFilter:
    """A period (inclusive local dates) and optional district and help point ids."""

    date_from: date
    date_to: date
    district_id: int | None = None
    help_point_id: int | None = None

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> ReportFilter:
        """The period of the same length just before this one, same district and help point."""
        return ReportFilter(self.date_from - timedelta(days=self.days), self.date_from - timedelta(days=1),
                            self.district_id, self.help_point_id)

    def as_args(self) -> dict[str, str]:
        """The filter as query-string arguments (for links and downloads)."""
        args = {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}
        if self.district_id:
            args["district_id"] = str(self.district_id)
        if self.help_point_id:
            args["help_point_id"] = str(self.help_point_id)
        return args


def default_period(today: date) -> tuple[date, date]:
    """The twelve months up to `today`: (same day a year before + 1 day, today)."""
    try:
        start = today.replace(year=today.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28) + timedelta(days=1)
    return start, today


def parse_filter(args: Mapping[str, str], today: date) -> ReportFilter:
    """A ReportFilter from query arguments (`date_from`, `date_to` as YYYY-MM-DD, `district_id`,
    `help_point_id`); empty arguments take the defaults. Raises FilterError naming each bad one:
    a malformed date, a period that ends before it starts or is longer than five years, an unknown
    district or help point."""
    errors: dict[str, str] = {}
    first, last = default_period(today)
    first = _date(args, "date_from", first, errors)
    last = _date(args, "date_to", last, errors)
    if not errors and last < first:
        errors["date_to"] = _("The end of the period comes before its start.")
    elif not errors and (last - first).days >= MAX_PERIOD_DAYS:
        errors["date_to"] = _("Choose a period of at most five years.")
    district_id = _id(args, "district_id", District, errors)
    help_point_id = _id(args, "help_point_id", HelpPoint, errors)
    if district_id and help_point_id:
        errors["help_point_id"] = _("Choose a district or a help point, not both.")
    if errors:
        raise FilterError(errors)
    return ReportFilter(first, last, district_id, help_point_id)


def _date(args: Mapping[str, str], name: str, default: date, errors: dict[str, str]) -> date:
    text = (args.get(name) or "").strip()
    if not text:
        return default
    try:
        value = date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Use a date such as 2026-12-01.")
        return default
    if not 2000 <= value.year <= 2100:
        errors[name] = _("Choose a date between 2000 and 2100.")
    return value


def _id(args: Mapping[str, str], name: str, model: type[District] | type[HelpPoint],
        errors: dict[str, str]) -> int | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    number = int(text) if text.isascii() and text.isdigit() else 0
    if not 0 < number <= MAX_ID or db.session.get(model, number) is None:
        errors[name] = _("Unknown district.") if model is District else _("Unknown help point.")
        return None
    return number
