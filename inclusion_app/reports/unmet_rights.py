"""Unmet rights (non-recours) detected at the desk: how many, why, and what became of them.

These figures measure non-recours *detected during help sessions*, not a take-up rate (DESIGN.md
section 6). Definitions (DESIGN.md section 4): rights count by their session's date; a right is
`filed` when a claim was filed (a filing date, an opening date, or an outcome `deposee`, `ouvert`
or `refuse`), `opened` when the right was opened (an opening date or the outcome `ouvert`); `filing_rate` =
filed / detected, `opening_rate` = opened / filed; `median_days_to_filing` runs from detection to
filing, `median_days_to_opening` from filing to opening (only rights with both dates). A right's
district is its session's. Blockage hotspots: rights whose reason is `dossier_bloque` or whose
claim was refused, by the organisation in charge of the right (`ORGANISATIONS`). Data quality:
the share of rights with a known outcome (filed — by its date or its outcome —, opened, refused or
abandoned).
Small counts are suppressed by `reports.suppression` (grids for the district × right table).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from inclusion_app import vocabularies
from inclusion_app.reports import facts
from inclusion_app.reports.grids import Cells, Partitions, codes_found, until_stable
from inclusion_app.reports.suppression import Grid, histogram_median, rate
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

    Every count is suppressed once over the territory cut by district (and by help point with a
    help point filter, `reports.grids`), so that the territory, a district and a help point
    publish lines of the same tables: the rights detected by right (whose row totals are the
    margins of the forms and reasons), filed, opened, and the blockages by organisation (whose
    totals are the reason "file blocked")."""
    facts.refresh_in_savepoint()
    sums = _sums(facts.read(f, METRICS))
    parts = Partitions(f)
    rights, tables = _tables(parts)
    (by_right, total), (by_filed, filed_total), (by_opened, opened_total) = (
        parts.line(tables[name]) for name in ("right_detected", "right_filed", "right_opened"))
    blocked, refused = parts.line(tables["right_blocked"])[0], parts.line(tables["right_refused"])[0]
    return {
        "by_right": [_right_line(code, by_right[code], by_filed[code], by_opened[code], sums) for code in rights],
        "by_form": [{"form": code, "detected": n} for code, n in parts.line(tables["form"])[0].items()],
        "by_reason": [{"reason": code, "detected": n} for code, n in parts.line(tables["reason"])[0].items()],
        "by_district": [] if f.help_point_id else _district_cells(tables["right_detected"]["district"], rights, f),
        "hotspots": [{"organisation": o, "blocked": blocked[o], "refused": refused[o]} for o in ORGANISATION_CODES],
        "totals": _totals(total, filed_total, opened_total, parts.line(tables["right_known"])[0][""]),
        "context": national_context(),
    }


def _tables(parts: Partitions) -> tuple[list[str], dict[str, dict[str, Grid]]]:
    """The right codes, and every table of the report suppressed in each cut: {metric: {cut: Grid}}."""
    cells = parts.read(GRID_METRICS)
    for cut in parts.cuts:
        for name in ("right_blocked", "right_refused"):
            cells[cut][name] = _by_organisation(cells[cut][name])
    rights = codes_found(right_codes(), cells["district"]["right_detected"])

    def protect(name: str, codes: list[str], **options: Any) -> dict[str, Grid]:
        return parts.protect({cut: cells[cut][name] for cut in parts.cuts}, codes, **options)

    tables = _detected_forms_reasons(parts, protect, cells, rights)
    tables["right_known"] = protect("right_known", [""])
    tables["right_filed"] = protect("right_filed", rights, within=tables["right_detected"])
    tables["right_opened"] = protect("right_opened", rights, within=tables["right_filed"])
    tables["right_blocked"] = protect("right_blocked", ORGANISATION_CODES,
                                      rows=parts.rows_of(tables["reason"], "dossier_bloque"))
    tables["right_refused"] = protect("right_refused", ORGANISATION_CODES, row_totals=False, grand_total=False)
    return rights, tables


def _detected_forms_reasons(parts: Partitions, protect: Any, cells: dict[str, Any],
                            rights: list[str]) -> dict[str, dict[str, Grid]]:
    """Rights detected, and the forms and reasons that share them out (detected by district as
    their row totals). A form or reason line that its published total still gives away (11 and 1
    under 12) hides that total in the detected table, and all three are suppressed again."""

    def build(hide: dict[str, set[Any]]) -> dict[str, dict[str, Grid]]:
        tables = {"right_detected": protect("right_detected", rights, hide=hide)}
        for name, known in (("form", vocabularies.NON_TAKE_UP_FORMS), ("reason", vocabularies.NON_TAKE_UP_REASONS)):
            tables[name] = protect(name, codes_found(known, cells["district"][name]),
                                   rows=parts.rows_of(tables["right_detected"]))
        return tables

    return until_stable(parts.cuts, build, lambda tables: parts.stuck_totals((tables["form"], tables["reason"])))


ORGANISATION_CODES = list(dict.fromkeys([*ORGANISATIONS.values(), "autre"]))
GRID_METRICS = ("right_detected", "right_filed", "right_opened", "right_known", "form", "reason", "right_blocked",
                "right_refused")
METRICS = ("right_detected", "right_filed", "right_opened", "right_known", "form", "reason", "right_blocked",
           "right_refused", "filing_days", "opening_days")


def _by_organisation(cells: Cells) -> Cells:
    """Counts keyed by (row, right) summed by the right's organisation in charge."""
    summed: Cells = defaultdict(int)
    for (key, right), n in cells.items():
        summed[(key, ORGANISATIONS.get(right, "autre"))] += n
    return summed


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


def _district_cells(grid: Grid, rights: list[str], f: Any) -> list[dict[str, Any]]:
    """The cells of the grid that are not zero or are hidden (a hidden zero must be listed, else
    its absence would say 0), for the filtered district or all."""
    shown = [d for d in grid.rows if not f.district_id or d == f.district_id]
    return [{"district_id": d, "right": r, "detected": grid.shown((d, r))}
            for d in shown for r in rights if grid.value((d, r)) or (d, r) in grid.hidden]


def _totals(detected: Any, filed: Any, opened: Any, known: Any) -> dict[str, Any]:
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
