"""Unmet rights (non-recours) detected at the desk: how many, why, and what became of them.

These figures measure non-recours *detected during help sessions*, not a take-up rate (DESIGN.md
section 6). Definitions (DESIGN.md section 4): rights count by their session's date; a right is
`filed` when a claim was filed (a filing date, or an outcome `deposee`, `ouvert` or `refuse`),
`opened` when the right was opened (an opening date or the outcome `ouvert`); `filing_rate` =
filed / detected, `opening_rate` = opened / filed; `median_days_to_filing` runs from detection to
filing, `median_days_to_opening` from filing to opening (only rights with both dates). A right's
district is its session's. Blockage hotspots: rights whose reason is `dossier_bloque` or whose
claim was refused, by the organisation in charge of the right (`ORGANISATIONS`). Data quality:
the share of rights with a known outcome (filed, opened, refused or abandoned).
Small counts are suppressed by `reports.suppression` (grids for the district × right table).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from inclusion_app import vocabularies
from inclusion_app.extensions import db
from inclusion_app.models import District
from inclusion_app.reports import facts
from inclusion_app.reports.suppression import grid_from, histogram_median, protect, rate, series
from inclusion_app.sessions.rights import right_codes

# The organisation in charge of each default right (service-public.fr, 2026): where a blocked
# file waits. Rights a city adds are "autre".
ORGANISATIONS = {
    "rsa": "caf", "prime_activite": "caf", "aide_logement": "caf", "prestations_familiales": "caf",
    "aah": "mdph_caf", "complementaire_sante_solidaire": "cpam", "aspa": "carsat_msa", "retraite": "carsat_msa",
    "assurance_chomage": "france_travail", "cheque_energie": "asp", "aide_locale": "collectivite",
}


def unmet_rights(f: Any) -> dict[str, Any]:
    """The unmet-rights report for a ReportFilter `f`, in the shape of DESIGN.md section 4
    (`by_right`, `by_form`, `by_reason`, `by_district`, `totals`) plus `hotspots` and `context`;
    suppressed counts are `Hidden` (None in JSON). `by_district` is empty with a help point filter.

    The rights detected by right and the district × right cells are one grid suppressed together
    over every district (so that a district filter shows the pattern of the territory); the filed
    and opened columns are suppressed as series with their published totals."""
    facts.refresh()
    sums = _sums(facts.read(f, METRICS))
    rights = list(dict.fromkeys([*right_codes(), *sums["right_detected"]]))
    grid, districts = _district_grid(f, rights)
    detected: dict[Any, Any]
    if f.district_id:
        detected = {r: grid.shown((f.district_id, r)) for r in rights}
        total = grid.shown(("row", f.district_id))
    elif f.help_point_id:
        detected, total = series(sums["right_detected"], rights)
    else:
        detected, total = {r: grid.shown(("column", r)) for r in rights}, grid.shown("total")
    filed, filed_total = series(sums["right_filed"], rights)
    opened, opened_total = series(sums["right_opened"], rights)
    return {
        "by_right": [_right_line(code, detected[code], filed[code], opened[code], sums) for code in rights],
        "by_form": _by(sums["form"], "form", list(vocabularies.NON_TAKE_UP_FORMS)),
        "by_reason": _by(sums["reason"], "reason", list(vocabularies.NON_TAKE_UP_REASONS)),
        "by_district": [] if f.help_point_id else _district_cells(grid, districts, rights, f),
        "hotspots": _hotspots(sums),
        "totals": _totals(sums, total, filed_total, opened_total),
        "context": national_context(),
    }


METRICS = ("right_detected", "right_filed", "right_opened", "right_known", "form", "reason", "right_blocked",
           "right_refused", "filing_days", "opening_days")


def _sums(read: dict[tuple[int, str, str], int]) -> dict[str, dict[str, int]]:
    """{metric: {code: value}} summed over districts."""
    sums: dict[str, dict[str, int]] = {metric: defaultdict(int) for metric in METRICS}
    for (_district, metric, code), value in read.items():
        sums[metric][code] += value
    return sums


def _histogram(sums: dict[str, dict[str, int]], metric: str, right: str) -> dict[int, int]:
    """{days: rights} of one right from codes "right:days"."""
    prefix = f"{right}:"
    return {int(code[len(prefix):]): n for code, n in sums[metric].items() if code.startswith(prefix)}


def _right_line(code: str, detected: Any, filed: Any, opened: Any, sums: dict[str, dict[str, int]]) -> dict[str, Any]:
    return {"right": code, "detected": detected, "filed": filed, "opened": opened,
            "filing_rate": rate(filed, detected), "opening_rate": rate(opened, filed),
            "median_days_to_filing": histogram_median(_histogram(sums, "filing_days", code)),
            "median_days_to_opening": histogram_median(_histogram(sums, "opening_days", code))}


def _by(counts: dict[str, int], key: str, codes: list[str]) -> list[dict[str, Any]]:
    codes = list(dict.fromkeys([*codes, *counts]))
    shown, _total = series(counts, codes)
    return [{key: code, "detected": shown[code]} for code in codes]


def _district_grid(f: Any, rights: list[str]) -> tuple[Any, list[Any]]:
    """The district × right grid of rights detected over every district (whatever the district
    filter), with primary and secondary suppression of cells, rows, columns and total."""
    districts: list[Any] = [*db.session.scalars(sa.select(District.id).order_by(District.name)), None]
    territory = replace(f, district_id=None)
    counts = {(district or None, code): n
              for (district, _metric, code), n in facts.read(territory, ("right_detected",), by_district=True).items()}
    return grid_from(((d, r, n) for (d, r), n in counts.items()), districts, rights), districts


def _district_cells(grid: Any, districts: list[Any], rights: list[str], f: Any) -> list[dict[str, Any]]:
    """The cells of the grid that are not zero or are hidden (a hidden zero must be listed, else
    its absence would say 0), for the filtered district or all."""
    shown = [d for d in districts if not f.district_id or d == f.district_id]
    return [{"district_id": d, "right": r, "detected": grid.shown((d, r))}
            for d in shown for r in rights if grid.value((d, r)) or (d, r) in grid.hidden]


def _hotspots(sums: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """By organisation in charge: rights blocked at it, and claims it refused."""
    organisations = list(dict.fromkeys([*ORGANISATIONS.values(), "autre"]))
    blocked: dict[str, int] = defaultdict(int)
    refused: dict[str, int] = defaultdict(int)
    for right, n in sums["right_blocked"].items():
        blocked[ORGANISATIONS.get(right, "autre")] += n
    for right, n in sums["right_refused"].items():
        refused[ORGANISATIONS.get(right, "autre")] += n
    shown_blocked, _ = series(blocked, organisations)
    shown_refused, _ = series(refused, organisations)
    return [{"organisation": o, "blocked": shown_blocked[o], "refused": shown_refused[o]} for o in organisations]


def _totals(sums: dict[str, dict[str, int]], detected: Any, filed: Any, opened: Any) -> dict[str, Any]:
    known = protect(sum(sums["right_known"].values()))
    return {"detected": detected, "filed": filed, "opened": opened, "filing_rate": rate(filed, detected),
            "opening_rate": rate(opened, filed), "known_outcome_share": rate(known, detected)}


def national_context() -> list[dict[str, Any]]:
    """National estimates of non-take-up, shown only as context beside the desk's figures, each
    with its source. Only figures the team has checked are listed; others stay absent."""
    return [
        {"right": "rsa", "non_take_up_rate": 0.34, "year": 2018, "scope": "foyers éligibles, chaque trimestre",
         "source": "DREES, Les Dossiers de la DREES n° 92, « Mesurer régulièrement le non-recours au RSA et "
                   "à la prime d'activité : méthode et résultats », février 2022"},
        {"right": "aspa", "non_take_up_rate": 0.50, "year": 2016, "scope": "personnes seules éligibles",
         "source": "DREES, Les Dossiers de la DREES n° 97, « Le non-recours au minimum vieillesse des "
                   "personnes seules », mai 2022"},
    ]
