"""Public and staff pages of help points: list, map, detail (thin: queries and display do the work).

The public sees active help points only; logged-in staff (any role) also see inactive ones,
marked as such, and the internal data on the detail page. Filters are GET query arguments
(`forms.HelpPointFilterForm`). Anonymous visitors are rate-limited per address, like the other
public endpoints (DESIGN.md section 4).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from inclusion_app.extensions import limiter
from inclusion_app.inputs import MAX_PAGE
from inclusion_app.lieux import bp
from inclusion_app.lieux.display import describe_hours, is_open_now, is_web_address, phone_display
from inclusion_app.lieux.forms import HelpPointFilterForm
from inclusion_app.lieux.queries import (
    KEYBOARD_MARKERS_MAX,
    HelpPointFilters,
    PageOutOfRange,
    district_choices,
    district_outlines,
    find_candidates,
    get_help_point,
    list_page,
    map_points,
)
from inclusion_app.security import public

#: Attribution shown with the background tiles when MAP_TILE_ATTRIBUTION is not configured.
DEFAULT_TILE_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'


def now() -> datetime:
    """The current instant, aware (UTC). Tests replace it to freeze the clock."""
    return datetime.now(UTC)


def _timezone() -> str:
    return str(current_app.config["TIMEZONE"])


def _local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def _is_staff() -> bool:
    return bool(current_user.is_authenticated)


public_pages_limit = limiter.limit(
    lambda: str(current_app.config["PUBLIC_RATE_LIMIT"]), key_func=get_remote_address, exempt_when=_is_staff
)


def _filter_form() -> tuple[HelpPointFilterForm, HelpPointFilters]:
    """The filter form read from the query string, and the filters its valid fields give."""
    form = HelpPointFilterForm(formdata=request.args, districts=district_choices())
    form.validate()
    return form, form.filters(include_inactive=_is_staff())


@bp.route("/help-points")
@public
@public_pages_limit
def help_points() -> str:
    """The accessible list of help points, filtered, 20 a page (`?page=`); 404 past the last page."""
    form, filters = _filter_form()
    moment, timezone = now(), _timezone()
    page = min(request.args.get("page", 1, type=int) or 0, MAX_PAGE)  # 0, negative or past the end: 404
    try:
        result = list_page(filters, page, today=_local_date(moment, timezone), timezone=timezone)
    except PageOutOfRange:
        abort(404)
    open_now = {item.id: is_open_now(item.horaires, moment, timezone) for item in result.items}
    return render_template(
        "lieux/list.html", form=form, result=result, open_now=open_now,
        arguments=form.active_arguments(),
    )


@bp.route("/help-points/map")
@public
@public_pages_limit
def help_point_map() -> str:
    """The map: districts and help points drawn by static/js/map.js from a JSON data block."""
    form, filters = _filter_form()
    timezone = _timezone()
    candidates = find_candidates(filters, _local_date(now(), timezone), timezone)
    points = map_points(candidates)
    return render_template(
        "lieux/map.html", form=form, total=len(candidates), mapped=len(points),
        arguments=form.active_arguments(), map_data=_map_data(points, filters),
    )


def _map_data(points: list[dict[str, Any]], filters: HelpPointFilters) -> dict[str, Any]:
    """The JSON block read by map.js: points, district outlines, the detail URL prefix, labels;
    `keyboardMarkers` says whether points are drawn as focusable SVG elements (else on a canvas)."""
    detail_prefix = url_for("lieux.help_point", help_point_id=0)[:-1]
    return {
        "points": points,
        "keyboardMarkers": len(points) <= KEYBOARD_MARKERS_MAX,
        "districts": district_outlines(),
        "selectedDistrict": filters.district_id,
        "detailPrefix": detail_prefix,
        "tileAttribution": current_app.config.get("MAP_TILE_ATTRIBUTION") or DEFAULT_TILE_ATTRIBUTION,
        "labels": {
            "showTiles": _("Show background map"),
            "hideTiles": _("Hide background map"),
            "zoomIn": _("Zoom in"),
            "zoomOut": _("Zoom out"),
            "closePopup": _("Close"),
            "inactive": _("Inactive: hidden from the public"),
        },
    }


@bp.route("/help-points/<int:help_point_id>")
@public
@public_pages_limit
def help_point(help_point_id: int) -> str:
    """A help point's page: every published field, hours, open now; internal data for staff."""
    staff = _is_staff()
    found = get_help_point(help_point_id, include_inactive=staff, with_internal=staff)
    if found is None:
        abort(404)
    hours = describe_hours(found.horaires, now(), _timezone())
    return render_template(
        "lieux/detail.html", help_point=found, hours=hours, staff=staff,
        phone_display=phone_display, is_web_address=is_web_address,
    )
