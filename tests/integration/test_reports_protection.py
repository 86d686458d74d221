"""What a fresh reviewer found in the reports (issue 7): small counts recovered from totals,
filters or rates, stale counts after an edit, 500s on odd parameters. Each test names the case."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.models import Appointment, WalkIn
from inclusion_app.reports import activity, coverage, facts, unmet_rights
from inclusion_app.reports.filters import ReportFilter
from inclusion_app.reports.suppression import Grid, Hidden, rate
from inclusion_app.residents.services import merge_residents
from tests import factories
from tests.reports_factories import MARCH, add_appointments, add_right, add_session, make_city
from tests.scheduling_factories import local, resident


@pytest.fixture
def city(app):
    return make_city()


def test_the_filed_column_is_protected_against_its_total(city):
    c, a = city["counsellor"], city["a"]
    for number in range(20):
        add_right(add_session(c, a), "rsa", outcome="deposee" if number < 15 else "repere", filed_on=None)
    for number in range(12):
        add_right(add_session(c, a), "prime_activite", outcome="deposee" if number < 4 else "repere")
    report = unmet_rights.unmet_rights(MARCH)
    filed = {line["right"]: line["filed"] for line in report["by_right"]}
    assert filed["prime_activite"] is Hidden.SMALL
    # The total (19) is published: the 15 of RSA must be hidden too, or 19 - 15 gives 4.
    assert filed["rsa"] is Hidden.SECONDARY
    assert report["totals"]["filed"] == 19


def test_a_district_filter_shows_the_territorys_suppression(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for _number in range(31):
        add_session(c, a)
    for _number in range(5):
        add_session(c, b)
    territory = {row["district_id"]: row["sessions"] for row in coverage.coverage(MARCH).districts}
    assert territory[b.id] is Hidden.SMALL
    assert territory[a.id] is Hidden.SECONDARY
    only_a = coverage.coverage(ReportFilter(MARCH.date_from, MARCH.date_to, district_id=a.id))
    assert only_a.districts[0]["sessions"] is Hidden.SECONDARY  # else 36 - 31 would give B's 5


def test_the_by_right_table_and_the_district_table_do_not_give_each_other_away(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for right, district, count in (("prime_activite", a, 30), ("aah", a, 12), ("rsa", b, 5)):
        for _number in range(count):
            add_right(add_session(c, district), right)
    report = unmet_rights.unmet_rights(MARCH)
    by_right = {line["right"]: line["detected"] for line in report["by_right"]}
    cells = {(line["district_id"], line["right"]): line["detected"] for line in report["by_district"]}
    assert by_right["rsa"] is Hidden.SMALL
    # RSA = total - prime - AAH unless one of those is hidden wherever it is published.
    total = report["totals"]["detected"]
    published_aah = [v for v in (by_right["aah"], cells.get((a.id, "aah"))) if isinstance(v, int)]
    published_prime = [v for v in (by_right["prime_activite"], cells.get((a.id, "prime_activite")))
                       if isinstance(v, int)]
    assert isinstance(total, Hidden) or not (published_aah and published_prime)
    # A hidden cell is listed even when it is a zero (its absence would say 0).
    assert all(isinstance(v, Hidden) or v > 0 for v in cells.values())


def _only(district):
    return ReportFilter(MARCH.date_from, MARCH.date_to, district_id=district.id)


def test_activity_of_a_district_keeps_the_coverage_reports_suppression_of_its_sessions(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for _number in range(15):
        add_session(c, a)
    for _number in range(5):
        add_session(c, b)
    territory = {row["district_id"]: row["sessions"] for row in coverage.coverage(MARCH).districts}
    assert territory[a.id] is Hidden.SECONDARY
    only_a = activity.activity(_only(a))
    # Published here, A's 15 would give B's 5 back from the territory's 20 in the coverage report.
    assert only_a["totals"]["sessions"] is Hidden.SECONDARY
    assert only_a["totals"]["hours"] is None
    types = {line["type"]: line["sessions"] for line in only_a["by_type"]}
    assert types["individuel"] is Hidden.SECONDARY  # its row total is hidden: a line cannot show all
    assert activity.activity(MARCH)["totals"]["sessions"] == 20


def test_a_breakdown_of_one_district_cannot_be_subtracted_from_the_territorys(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for district, finished, again in ((a, 15, 12), (b, 5, 12)):
        for number in range(finished + again):
            add_session(c, district, outcome="finalisee" if number < finished else "doit_revenir",
                        procedures=["logement"], themes=["aide_aux_demarches_administratives"])
    territory = {line["outcome"]: line["sessions"] for line in activity.activity(MARCH)["by_outcome"]}
    assert (territory["finalisee"], territory["doit_revenir"]) == (20, 24)
    only_b = {line["outcome"]: line["sessions"] for line in activity.activity(_only(b))["by_outcome"]}
    assert (only_b["finalisee"], only_b["doit_revenir"]) == (Hidden.SMALL, Hidden.SECONDARY)
    only_a = activity.activity(_only(a))
    outcomes = {line["outcome"]: line["sessions"] for line in only_a["by_outcome"]}
    assert outcomes["finalisee"] is Hidden.SECONDARY  # else 20 - 15 gives B's 5
    assert only_a["totals"]["sessions"] == 27  # the coverage report publishes it too


def test_a_month_of_one_district_cannot_be_subtracted_from_the_territorys(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    spring = ReportFilter(date(2026, 3, 1), date(2026, 4, 30))
    for _number in range(14):
        add_session(c, a, day=date(2026, 3, 3))
    for _number in range(13):
        add_session(c, a, day=date(2026, 4, 3))
    for _number in range(4):
        add_session(c, b, day=date(2026, 3, 4))
    for _number in range(12):
        add_session(c, b, day=date(2026, 4, 4))
    months = {line["month"]: line["sessions"] for line in activity.activity(spring)["by_month"]}
    assert months == {"2026-03": 18, "2026-04": 25}
    only_a = activity.activity(ReportFilter(spring.date_from, spring.date_to, district_id=a.id))
    assert {line["month"]: line["sessions"] for line in only_a["by_month"]} == {
        "2026-03": Hidden.SECONDARY, "2026-04": Hidden.SECONDARY}  # else 18 - 14 gives B's March


def test_unmet_rights_of_one_district_cannot_be_subtracted_from_the_territorys(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for number in range(20):
        add_right(add_session(c, a), "rsa", outcome="deposee" if number < 15 else "repere",
                  form="non_demande" if number < 12 else "non_connaissance")
    for number in range(14):
        add_right(add_session(c, b), "rsa", outcome="deposee" if number < 4 else "repere",
                  form="non_demande" if number < 4 else "non_connaissance", reason="dossier_bloque")
    territory = unmet_rights.unmet_rights(MARCH)
    assert territory["totals"]["filed"] == 19
    forms = {line["form"]: line["detected"] for line in territory["by_form"]}
    assert (forms["non_demande"], forms["non_connaissance"]) == (16, 18)
    only_a = unmet_rights.unmet_rights(_only(a))
    assert only_a["totals"]["detected"] == 20
    # Published, A's 15 filed would give B's 4 back from the territory's 19, and its 12 "non-demande"
    # B's 4 from 16.
    assert {line["right"]: line["filed"] for line in only_a["by_right"]}["rsa"] is Hidden.SECONDARY
    assert only_a["totals"]["filed"] is Hidden.SECONDARY
    assert {line["form"]: line["detected"] for line in only_a["by_form"]}["non_demande"] is Hidden.SECONDARY
    caf = next(line for line in territory["hotspots"] if line["organisation"] == "caf")
    assert caf["blocked"] == 14
    caf_a = next(line for line in only_a["hotspots"] if line["organisation"] == "caf")
    assert caf_a["blocked"] == 0  # zero is a fact: 14 - 0 only repeats the territory's figure


def test_a_help_points_walk_ins_cannot_be_subtracted_from_its_districts(city):
    b, hp_b = city["b"], city["hp_b"]
    other = factories.help_point(district_id=b.id)
    for point, count in ((hp_b, 25), (other, 6)):
        for _number in range(count):
            db.session.add(WalkIn(help_point_id=point.id, display_name="T", arrived_at=local("2026-03-09 10:00")))
    db.session.flush()
    assert coverage.coverage(_only(b)).districts[0]["walk_ins"] == 31
    at = {point: coverage.coverage(ReportFilter(MARCH.date_from, MARCH.date_to, help_point_id=point.id))
          .districts[0]["walk_ins"] for point in (hp_b, other)}
    assert at[other] is Hidden.SMALL
    assert at[hp_b] is Hidden.SECONDARY  # else 31 - 25 gives the other help point's 6


def _at(point):
    return ReportFilter(MARCH.date_from, MARCH.date_to, help_point_id=point.id)


def test_a_help_point_cannot_undo_the_territorys_suppression(city):
    c, a, b, hp_a, hp_b = city["counsellor"], city["a"], city["b"], city["hp_a"], city["hp_b"]
    for district, point, count in ((a, hp_a, 31), (b, hp_b, 5)):
        for _number in range(count):
            add_right(add_session(c, district, place_type="lieu_activite", help_point_id=point.id), "rsa")
    assert coverage.coverage(MARCH).totals["sessions"] == 36
    # Published, the help point's 31 would give the rest of the territory (5) back.
    assert coverage.coverage(_at(hp_a)).districts[0]["sessions"] is Hidden.SECONDARY
    at_a = activity.activity(_at(hp_a))
    assert at_a["totals"]["sessions"] is Hidden.SECONDARY
    assert at_a["totals"]["hours"] is None
    assert {line["type"]: line["sessions"] for line in at_a["by_type"]}["individuel"] is Hidden.SECONDARY
    rights = unmet_rights.unmet_rights(_at(hp_a))
    assert {line["right"]: line["detected"] for line in rights["by_right"]}["rsa"] is Hidden.SECONDARY
    assert rights["totals"]["detected"] is Hidden.SECONDARY
    assert unmet_rights.unmet_rights(MARCH)["totals"]["detected"] == 36


def test_appointments_of_a_help_point_cannot_be_subtracted_from_the_territorys(city):
    c, a, b, hp_a, hp_b = city["counsellor"], city["a"], city["b"], city["hp_a"], city["hp_b"]
    add_appointments(c, a, hp_a, "attended", 25)
    add_appointments(c, b, hp_b, "attended", 5)
    totals = coverage.coverage(MARCH).totals
    assert (totals["appointments_booked"], totals["phone_share"]) == (30, 0.0)  # all on site, at help points
    assert coverage.coverage(_at(hp_b)).districts[0]["appointments_booked"] is Hidden.SMALL
    assert coverage.coverage(_at(hp_a)).districts[0]["appointments_booked"] is Hidden.SECONDARY  # else 30 - 25


def test_the_no_show_rate_does_not_give_back_hidden_attendances(city):
    c, a, b, hp_a = city["counsellor"], city["a"], city["b"], city["hp_a"]
    for district, attended, no_show in ((a, 15, 20), (b, 5, 10)):
        add_appointments(c, district, hp_a, "attended", attended)
        add_appointments(c, district, hp_a, "no_show", no_show)
    row = coverage.coverage(_only(a)).districts[0]
    assert row["appointments_booked"] == 35
    assert row["appointments_attended"] is Hidden.SECONDARY
    assert row["no_show_rate"] is None  # 35 × rate would give the no-shows, then the attendances


def test_blocked_files_by_organisation_cannot_be_subtracted_from_the_reasons(city):
    c, a = city["counsellor"], city["a"]
    for right, count in (("rsa", 20), ("aah", 5)):
        for _number in range(count):
            add_right(add_session(c, a), right, reason="dossier_bloque")
    report = unmet_rights.unmet_rights(MARCH)
    assert {line["reason"]: line["detected"] for line in report["by_reason"]}["dossier_bloque"] == 25
    blocked = {line["organisation"]: line["blocked"] for line in report["hotspots"]}
    assert blocked["mdph_caf"] is Hidden.SMALL
    assert blocked["caf"] is Hidden.SECONDARY  # else 25 - 20 gives the MDPH's 5


def test_people_do_not_give_back_a_hidden_number_of_sessions(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for _number in range(15):
        add_session(c, a)
    for _number in range(5):
        add_session(c, b)
    add_session(c, b, type="collectif", title="Atelier", participants={"total": 20}, participants_total=20)
    only_a = activity.activity(_only(a))
    assert only_a["totals"]["sessions"] is Hidden.SECONDARY
    assert only_a["totals"]["people"] is Hidden.SECONDARY  # with no workshop, people are the sessions


def test_every_district_filter_reads_the_same_table_of_rights(city, app):
    c, a, b = city["counsellor"], city["a"], city["b"]
    cormier = factories.district(name="Cormier")
    for district, right, count in ((a, "prime_activite", 37), (b, "rsa", 1), (b, "prime_activite", 40),
                                   (b, "foo", 20), (cormier, "rsa", 18)):
        for _number in range(count):
            add_right(add_session(c, district), right)  # "foo": a right no longer configured
    territory = [line["right"] for line in unmet_rights.unmet_rights(MARCH)["by_right"]]
    assert "foo" in territory
    for district in (a, b, cormier):
        assert [line["right"] for line in unmet_rights.unmet_rights(_only(district))["by_right"]] == territory
    only_a = {line["right"]: line["detected"] for line in unmet_rights.unmet_rights(_only(a))["by_right"]}
    only_c = {line["right"]: line["detected"] for line in unmet_rights.unmet_rights(_only(cormier))["by_right"]}
    # 77 - A's 37 - B's 40 would show Cormier has no prime, so its total 18 is RSA, and B's RSA 19 - 18.
    assert isinstance(only_a["prime_activite"], Hidden) or isinstance(only_c["prime_activite"], Hidden)
    assert only_c["rsa"] is Hidden.SECONDARY


def _solvable(equations, target):
    """Whether `target` follows from linear `equations` ([({unknown: coefficient}, value)]), as a
    reader solving every published line together would find it (values are not needed: only
    whether the target lies in the row space of the coefficients)."""
    unknowns = sorted({key for coefficients, _value in equations for key in coefficients} | {target}, key=repr)
    matrix = np.array([[coefficients.get(key, 0) for key in unknowns] for coefficients, _value in equations] or
                      [[0] * len(unknowns)])
    row = np.array([[1 if key == target else 0 for key in unknowns]])
    return np.linalg.matrix_rank(matrix) == np.linalg.matrix_rank(np.vstack([matrix, row]))


def test_hidden_cells_cannot_be_solved_from_several_lines_together(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    cormier = factories.district(name="Cormier")
    for district, outcome, count in ((a, "a_finaliser_en_autonomie", 17), (b, "oriente_vers_structure", 2),
                                     (cormier, "finalisee", 9), (cormier, "doit_revenir", 3),
                                     (cormier, "oriente_vers_structure", 5)):
        for _number in range(count):
            add_session(c, district, outcome=outcome, procedures=["logement"],
                        themes=["aide_aux_demarches_administratives"])
    districts = (a.id, b.id, cormier.id)
    equations = []  # everything the coverage and activity reports publish about these sessions
    for row in coverage.coverage(MARCH).districts:
        if row["district_id"] in districts and isinstance(row["sessions"], int):
            outcomes = activity.SHARES["outcome"]
            equations.append(({(row["district_id"], o): 1 for o in outcomes}, row["sessions"]))
    equations.append(({(d, o): 1 for d in districts for o in activity.SHARES["outcome"]}, 36))
    for line in activity.activity(MARCH)["by_outcome"]:
        if isinstance(line["sessions"], int):
            equations.append(({(d, line["outcome"]): 1 for d in districts}, line["sessions"]))
    for district in districts:
        for line in activity.activity(ReportFilter(MARCH.date_from, MARCH.date_to, district_id=district))["by_outcome"]:
            if isinstance(line["sessions"], int):
                equations.append(({(district, line["outcome"]): 1}, line["sessions"]))
    assert not _solvable(equations, (b.id, "oriente_vers_structure"))  # B's 2
    assert not _solvable(equations, (cormier.id, "doit_revenir"))  # Cormier's 3


def _grid_equations(grid):
    published = lambda key: isinstance(grid.shown(key), int)  # noqa: E731
    equations = [({key: 1}, grid.shown(key)) for key in [*grid.cells, *(("row", r) for r in grid.rows),
                                                            *(("column", c) for c in grid.columns), "total"]
                 if published(key)]
    for total, parts in grid.lines():
        equations.append(({**{part: 1 for part in parts}, total: -1}, 0))
    return equations


def _random_grid(rng, audit):
    rows, columns = ["A", "B", "C", "D"][:rng.randint(2, 4)], ["w", "x", "y", "z"][:rng.randint(2, 4)]
    cells = {(r, c): rng.choice((0, 0, 1, 2, 5, 9, 12, 20)) for r in rows for c in columns}
    grid = Grid(rows, columns, cells)
    if not audit:
        grid._protect_solvable = lambda: False  # the lines one by one only
    return grid.suppress()


def test_the_audit_leaves_no_small_cell_solvable_where_the_lines_alone_do():
    import random

    rng, leaks_without = random.Random(7), 0
    for _number in range(300):
        seed = rng.random()
        for audit in (False, True):
            grid = _random_grid(random.Random(seed), audit)
            equations = _grid_equations(grid)
            solvable = [key for key, why in grid.hidden.items() if why is Hidden.SMALL and _solvable(equations, key)]
            if audit:
                assert solvable == [], (grid.cells, solvable)
            else:
                leaks_without += bool(solvable)
    assert leaks_without > 0  # the audit is what protects these grids


def test_labels_do_not_pin_a_small_count(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for district, count in ((a, 11), (b, 1)):
        for _number in range(count):
            add_session(c, district)
    report = coverage.coverage(MARCH)
    shown = {row["district_id"]: row["sessions"] for row in report.districts}
    assert (shown[a.id], shown[b.id]) == (Hidden.SECONDARY, Hidden.SMALL)
    # "masqué" is 0 or 11 and more, "< 11" is 1 to 10: with 12 in total, only 11 + 1 would fit.
    assert report.totals["sessions"] is Hidden.SECONDARY


def test_two_small_counts_adding_up_to_two_are_not_left_alone(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    cormier = factories.district(name="Cormier")
    for district, count in ((a, 1), (b, 1), (cormier, 30)):
        for _number in range(count):
            add_session(c, district)
    report = coverage.coverage(MARCH)
    shown = {row["district_id"]: row["sessions"] for row in report.districts}
    assert (shown[a.id], shown[b.id]) == (Hidden.SMALL, Hidden.SMALL)
    assert isinstance(shown[cormier.id], Hidden) or isinstance(report.totals["sessions"], Hidden)  # else 1 + 1


def test_phone_appointments_are_not_the_help_points_missing_row(city):
    c, a, b, hp_a, hp_b = city["counsellor"], city["a"], city["b"], city["hp_a"], city["hp_b"]
    add_appointments(c, a, hp_a, "attended", 25)
    add_appointments(c, b, hp_b, "attended", 5)
    add_appointments(c, a, None, "attended", 20)  # by phone
    totals = coverage.coverage(MARCH).totals
    assert (totals["appointments_booked"], totals["phone_share"]) == (50, 0.4)  # 20 by phone
    booked = coverage.coverage(_at(hp_a)).districts[0]["appointments_booked"]
    assert booked is Hidden.SECONDARY  # else 50 - 20 - 25 gives hp_b's 5


def test_the_known_outcome_share_of_a_district_cannot_be_subtracted(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for district, total, abandoned in ((a, 40, 15), (b, 20, 5)):
        for number in range(total):
            add_right(add_session(c, district), "rsa", outcome="abandonne" if number < abandoned else "repere")
    shares = [unmet_rights.unmet_rights(f)["totals"]["known_outcome_share"] for f in (MARCH, _only(a), _only(b))]
    assert shares[2] is None
    assert shares[0] is None or shares[1] is None  # else 0.333 × 60 - 0.375 × 40 gives B's 5


def test_a_filing_or_opening_date_counts_whatever_the_outcome_says(city):
    c, a = city["counsellor"], city["a"]
    for number in range(36):
        add_right(add_session(c, a), "rsa", outcome="repere", filed_on=date(2026, 3, 10) if number < 12 else None,
                  opened_on=date(2026, 3, 20) if 12 <= number < 24 else None)
    totals = unmet_rights.unmet_rights(MARCH)["totals"]
    assert (totals["detected"], totals["filed"], totals["opened"]) == (36, 24, 12)
    assert totals["known_outcome_share"] == round(24 / 36, 3)


def test_filed_rights_do_not_give_back_a_small_number_not_filed(city):
    c, a = city["counsellor"], city["a"]
    for right, detected, filed in (("rsa", 20, 15), ("prime_activite", 30, 20)):
        for number in range(detected):
            add_right(add_session(c, a), right, outcome="deposee" if number < filed else "repere")
    lines = {line["right"]: line for line in unmet_rights.unmet_rights(MARCH)["by_right"]}
    assert lines["rsa"]["detected"] == 20
    assert isinstance(lines["rsa"]["filed"], Hidden)  # 20 - 15 would give the 5 not filed
    assert lines["rsa"]["filing_rate"] is None


def test_attended_appointments_do_not_give_back_a_small_number_not_attended(city):
    c, a, b, hp_a = city["counsellor"], city["a"], city["b"], city["hp_a"]
    add_appointments(c, a, hp_a, "attended", 30)
    add_appointments(c, a, hp_a, "no_show", 5)
    add_appointments(c, b, hp_a, "attended", 20)
    add_appointments(c, b, hp_a, "no_show", 15)
    report = coverage.coverage(MARCH)
    rows = {row["district_id"]: row for row in report.districts}
    assert rows[a.id]["appointments_booked"] == 35
    assert isinstance(rows[a.id]["appointments_attended"], Hidden)  # 35 - 30 would give the 5 not attended
    assert isinstance(rows[b.id]["appointments_attended"], Hidden)  # else 50 - 20 gives A's 30
    assert rows[a.id]["no_show_rate"] is None


def test_hiding_attendances_again_never_unmasks_another_district(city):
    c, a, b, hp_a = city["counsellor"], city["a"], city["b"], city["hp_a"]
    cormier = factories.district(name="Cormier")
    for district, attended, no_show in ((a, 3, 17), (b, 20, 5), (cormier, 30, 5)):
        add_appointments(c, district, hp_a, "attended", attended)
        add_appointments(c, district, hp_a, "no_show", no_show)
    for row in coverage.coverage(MARCH).districts:
        if isinstance(row["appointments_booked"], int) and isinstance(row["appointments_attended"], int):
            assert not 0 < row["appointments_booked"] - row["appointments_attended"] < 11, row


def test_filed_within_detected_is_checked_until_nothing_changes(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    cormier = factories.district(name="Cormier")
    counts = {(a, "rsa"): (25, 23), (a, "prime_activite"): (25, 20), (b, "prime_activite"): (15, 15),
              (cormier, "rsa"): (15, 10), (cormier, "prime_activite"): (15, 15)}
    for (district, right), (detected, filed) in counts.items():
        for number in range(detected):
            add_right(add_session(c, district), right, outcome="deposee" if number < filed else "repere")
    for f in (MARCH, _only(a), _only(b), _only(cormier)):
        for line in unmet_rights.unmet_rights(f)["by_right"]:
            if isinstance(line["detected"], int) and isinstance(line["filed"], int):
                assert not 0 < line["detected"] - line["filed"] < 11, (f, line)


def test_a_secondary_cell_is_taken_as_positive_when_it_is(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    cormier, dahlia = factories.district(name="Cormier"), factories.district(name="Dahlia")
    for district, count in ((a, 1), (b, 11), (cormier, 11), (dahlia, 20)):
        for _number in range(count):
            add_session(c, district)
    report = coverage.coverage(MARCH)
    shown = {row["district_id"]: row["sessions"] for row in report.districts}
    assert shown[a.id] is Hidden.SMALL
    # Hidden cells are positive ones while there are: 43 - 20 = 23 with two of 11 and more gives A's 1.
    assert not (shown[dahlia.id] == 20 and report.totals["sessions"] == 43)


def test_a_total_published_elsewhere_is_hidden_when_a_breakdown_needs_it(city):
    c, a, b, hp_a = city["counsellor"], city["a"], city["b"], city["hp_a"]
    for _number in range(11):
        add_session(c, a)
    add_session(c, a, type="collectif", title="Atelier", participants={"total": 5}, participants_total=5)
    for _number in range(30):
        add_session(c, b)
    types = {line["type"]: line["sessions"] for line in activity.activity(_only(a))["by_type"]}
    assert (types["individuel"], types["collectif"]) == (Hidden.SECONDARY, Hidden.SMALL)
    # "masqué" (11 and more) and "< 11" under a published 12 can only be 11 and 1: the coverage
    # report hides A's sessions, and the activity report its total.
    sessions = {row["district_id"]: row["sessions"] for row in coverage.coverage(MARCH).districts}
    assert isinstance(sessions[a.id], Hidden)
    assert isinstance(activity.activity(_only(a))["totals"]["sessions"], Hidden)
    other = factories.help_point(district_id=a.id)
    for point, count in ((hp_a, 11), (other, 1)):
        for _number in range(count):
            db.session.add(WalkIn(help_point_id=point.id, display_name="T", arrived_at=local("2026-03-09 10:00")))
    db.session.flush()
    assert isinstance(coverage.coverage(_only(a)).districts[0]["walk_ins"], Hidden)  # 11 + 1 = 12 as well


def test_rights_detected_are_hidden_when_their_forms_need_it(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for number in range(12):
        add_right(add_session(c, a), "rsa", form="non_demande" if number < 11 else "non_connaissance")
    for number in range(60):
        add_right(add_session(c, b), "rsa", form="non_demande" if number < 30 else "non_connaissance")
    only_a = unmet_rights.unmet_rights(_only(a))
    forms = {line["form"]: line["detected"] for line in only_a["by_form"]}
    assert forms["non_connaissance"] is Hidden.SMALL
    # Once the forms are suppressed, A's "non-demande" is "masqué" (11 and more) beside the "< 11":
    # a published 12 would give 11 + 1, so the total is hidden in the rights detected.
    assert isinstance(only_a["totals"]["detected"], Hidden)


def test_a_rate_is_withheld_when_its_complement_is_small():
    assert rate(35, 40) is None  # 40 - 35 = 5 on site would be given back
    assert rate(20, 40) == 0.5
    assert rate(0, 40) == 0.0


def test_residents_served_in_total_are_counted_once(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    for _number in range(12):
        person = resident(district_id=a.id)
        add_session(c, b, resident_id=person.id)
        add_session(c, a, resident_id=person.id, day=date(2026, 3, 6))
    report = coverage.coverage(MARCH)
    assert report.totals["residents_served"] == 12


def test_a_merged_resident_is_served_once(city):
    c, a = city["counsellor"], city["a"]
    pairs = []
    for _number in range(12):
        kept, twin = resident(district_id=a.id), resident(district_id=a.id)
        add_session(c, a, resident_id=twin.id)
        pairs.append((kept, twin))
    for kept, _twin in pairs:
        add_session(c, a, resident_id=kept.id, day=date(2026, 3, 9))
    assert coverage.coverage(MARCH).totals["residents_served"] == 24
    for kept, twin in pairs:
        merge_residents(kept, twin)
    facts.refresh()
    assert coverage.coverage(MARCH).totals["residents_served"] == 12


def test_moving_a_resident_to_another_district_moves_their_appointments(city):
    c, a, b = city["counsellor"], city["a"], city["b"]
    add_appointments(c, a, None, "attended", 12)
    db.session.commit()
    coverage.coverage(MARCH)  # counts computed, nothing left to recompute
    for appointment in db.session.scalars(sa.select(Appointment)):
        appointment.resident.district_id = b.id
    db.session.flush()
    rows = {row["district_id"]: row["appointments_attended"] for row in coverage.coverage(MARCH).districts}
    assert (rows[a.id], rows[b.id]) == (0, 12)


def test_moving_a_help_point_to_another_district_moves_its_walk_ins(city):
    for number in range(12):
        db.session.add(WalkIn(help_point_id=city["hp_a"].id, display_name=f"T{number}",
                              arrived_at=local("2026-03-04 10:00")))
    db.session.commit()
    coverage.coverage(MARCH)
    city["hp_a"].district_id = city["b"].id
    db.session.flush()
    rows = {row["district_id"]: row["walk_ins"] for row in coverage.coverage(MARCH).districts}
    assert (rows[city["a"].id], rows[city["b"].id]) == (0, 12)


def test_hours_are_not_published_for_a_few_sessions(city):
    for _number in range(3):
        add_session(city["counsellor"], city["a"], duration_minutes=47)
    assert activity.activity(MARCH)["totals"]["hours"] is None


@pytest.mark.parametrize("query", ["district_id=%C2%B2", "help_point_id=%C2%B2", "min_help_points=%C2%B2",
                                   "max_days=%C2%B3", "print=0", "print=2", "endpoint=x", "_method=POST",
                                   "view=nope", "indicator=nope", "right=nope"])
def test_odd_parameters_never_give_a_500(city, client, login_as, query):
    login_as("manager")
    for path in ("/rapports/couverture", "/rapports/non-recours", "/rapports/activite",
                 "/api/v1/reports/coverage", "/rapports/couverture/coverage.csv"):
        assert client.get(f"{path}?{query}").status_code in (200, 400), (path, query)


def test_a_district_and_a_help_point_together_are_refused(city, client, login_as):
    login_as("manager")
    response = client.get(f"/api/v1/reports/coverage?district_id={city['a'].id}&help_point_id={city['hp_a'].id}")
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"help_point_id"}
