"""Districts that fall under the thresholds a manager sets on the coverage report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

DEFAULT_MAX_DAYS = 10
DEFAULT_MIN_HELP_POINTS = 1


@dataclass(frozen=True)
class Thresholds:
    """`min_help_points`: fewer active help points is an alert ("no desk" at 1); `max_days`: a
    median first free slot further away than this many days is an alert."""

    min_help_points: int = DEFAULT_MIN_HELP_POINTS
    max_days: int = DEFAULT_MAX_DAYS

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Thresholds:
        """Read `min_help_points` (0–50) and `max_days` (0–365); anything else keeps the default."""
        return cls(_bounded(args.get("min_help_points"), 0, 50, DEFAULT_MIN_HELP_POINTS),
                   _bounded(args.get("max_days"), 0, 365, DEFAULT_MAX_DAYS))


def _bounded(text: str | None, low: int, high: int, default: int) -> int:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and low <= int(text) <= high else default


def below_thresholds(rows: list[dict[str, Any]], thresholds: Thresholds) -> list[tuple[str, list[str]]]:
    """(district name, reasons) of every district (with an id) under a threshold, in table order."""
    alerts = []
    for row in rows:
        if row["district_id"] is None:
            continue
        reasons = []
        if row["help_points"] < thresholds.min_help_points:
            reasons.append(_("no help point") if row["help_points"] == 0
                           else ngettext("%(num)d help point", "%(num)d help points", row["help_points"]))
        delay = row["median_days_to_first_slot"]
        if delay is not None and delay > thresholds.max_days:
            reasons.append(_("first free slot after %(days)s days (median)", days=f"{delay:g}"))
        if reasons:
            alerts.append((row["name"], reasons))
    return alerts
