"""Help-point pages: the list (filters, pagination), the map page and the detail page.

Texts are checked in English (language cookie) where they are the interface's own, so that these
tests do not depend on the French catalog; the standard's vocabulary values are French anyway.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from inclusion_app.lieux import routes
from inclusion_app.models import Structure
from tests import factories

PARIS_WEDNESDAY_1030 = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)  # 10:30 in Paris
PARIS_SATURDAY_1000 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
CHRISTMAS_EVE_1800 = datetime(2026, 12, 24, 17, 0, tzinfo=UTC)  # Thursday; Friday 25 is a holiday


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def clock(monkeypatch):
    """`clock(instant)`: freeze the pages' idea of now."""

    def freeze(instant: datetime) -> None:
        monkeypatch.setattr(routes, "now", lambda: instant)

    return freeze


def html_of(response) -> str:
    """The page's HTML; CLDR's narrow no-break space (before AM/PM) read as a plain space."""
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True).replace("\u202f", " ")


def listed_names(html: str) -> list[str]:
    """Names of the help points listed on a list page, in order."""
    return re.findall(r'<h3><a href="/help-points/\d+">([^<]+)</a>', html)


def map_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', html, re.S)
    assert match, "no map data block"
    return json.loads(match.group(1))


def commit() -> None:
    from inclusion_app.extensions import db

    db.session.commit()


# ---------------------------------------------------------------- list: visibility and filters

def test_the_public_list_shows_active_help_points_only(english):
    factories.help_point(nom="Médiathèque ouverte")
    factories.help_point(nom="Ancien local", is_active=False)
    commit()

    html = html_of(english.get("/help-points"))

    assert listed_names(html) == ["Médiathèque ouverte"]
    assert "1 help point" in html


def test_staff_also_see_inactive_help_points_marked_as_such(english, login_as):
    factories.help_point(nom="Médiathèque ouverte")
    factories.help_point(nom="Ancien local", is_active=False)
    commit()
    login_as("phone_agent")

    html = html_of(english.get("/help-points"))

    assert listed_names(html) == ["Ancien local", "Médiathèque ouverte"]
    assert "Ancien local</a> – inactive" in html


@pytest.mark.parametrize(
    ("argument", "field", "value", "other"),
    [
        ("service", "services", "Insertion professionnelle via le numérique", "Aide aux démarches administratives"),
        ("public", "publics_specifiquement_adresses", "Seniors", "Jeunes"),
        ("support", "prise_en_charge_specifique", "Surdité", "Illettrisme"),
        ("access", "modalites_acces", "Prendre un RDV en ligne", "Se présenter"),
    ],
)
def test_each_vocabulary_filter_keeps_only_the_help_points_with_that_value(client, argument, field, value, other):
    factories.help_point(nom="Avec", **{field: [other, value]})
    factories.help_point(nom="Sans", **{field: []})
    factories.help_point(nom="Autre valeur", **{field: [other]})
    commit()

    assert listed_names(html_of(client.get("/help-points", query_string={argument: value}))) == ["Avec"]
    assert len(listed_names(html_of(client.get("/help-points")))) == 3


def test_a_value_is_matched_whole_not_as_a_substring(client):
    factories.help_point(nom="Langues", prise_en_charge_specifique=["Langues étrangères (autres)"])
    factories.help_point(nom="Anglais", prise_en_charge_specifique=["Langues étrangères (anglais)"])
    commit()

    html = html_of(client.get("/help-points", query_string={"support": "Langues étrangères (anglais)"}))

    assert listed_names(html) == ["Anglais"]


def test_filters_combine(client):
    leisure = ["Loisirs et créations numériques"]
    factories.help_point(nom="Les deux", services=leisure, prise_en_charge_specifique=["Surdité"])
    factories.help_point(nom="Service seul", services=leisure)
    factories.help_point(nom="Surdité seule", prise_en_charge_specifique=["Surdité"])
    commit()

    html = html_of(client.get("/help-points?service=Loisirs+et+cr%C3%A9ations+num%C3%A9riques&support=Surdit%C3%A9"))

    assert listed_names(html) == ["Les deux"]


def test_the_district_filter(client):
    north, south = factories.district(name="Nord"), factories.district(name="Sud")
    factories.help_point(nom="Au nord", district_id=north.id)
    factories.help_point(nom="Au sud", district_id=south.id)
    commit()

    html = html_of(client.get(f"/help-points?district={south.id}"))

    assert listed_names(html) == ["Au sud"]
    assert f'<option selected value="{south.id}">Sud</option>' in html


def test_the_search_ignores_case_and_accents_and_matches_name_commune_or_postcode(client):
    factories.help_point(nom="Médiathèque François-Mitterrand", commune="Poitiers", code_postal="86000")
    factories.help_point(nom="Espace numérique", commune="Châtellerault", code_postal="86100")
    commit()

    def search(text: str) -> list[str]:
        return listed_names(html_of(client.get("/help-points", query_string={"q": text})))

    assert search("MEDIATHEQUE") == ["Médiathèque François-Mitterrand"]
    assert search("chatellerault") == ["Espace numérique"]
    assert search("86100") == ["Espace numérique"]
    assert search("francois poitiers") == ["Médiathèque François-Mitterrand"]
    assert search("rien") == []


def test_open_on_a_weekday_uses_the_opening_hours(client):
    factories.help_point(nom="Semaine", horaires="Mo-Fr 09:00-12:00")
    factories.help_point(nom="Samedi aussi", horaires="Mo-Fr 09:00-12:00; Sa 10:00-12:00")
    factories.help_point(nom="Horaires illisibles", horaires="lundi 9h-12h")
    factories.help_point(nom="Sans horaires", horaires=None)
    commit()

    assert listed_names(html_of(client.get("/help-points?open_on=5"))) == ["Samedi aussi"]
    assert listed_names(html_of(client.get("/help-points?open_on=0"))) == ["Samedi aussi", "Semaine"]
    assert listed_names(html_of(client.get("/help-points?open_on=6"))) == []


def test_an_invalid_filter_is_reported_and_ignored_while_the_others_apply(english):
    factories.help_point(nom="Seniors", publics_specifiquement_adresses=["Seniors"])
    factories.help_point(nom="Jeunes", publics_specifiquement_adresses=["Jeunes"])
    commit()

    response = english.get("/help-points?service=Not+a+service&open_on=9&district=abc&public=Seniors")

    html = html_of(response)
    assert listed_names(html) == ["Seniors"]
    assert 'role="alert"' in html
    assert 'id="service-error"' in html
    assert 'id="open_on-error"' in html
    assert 'id="district-error"' in html


def test_the_list_is_sorted_by_name_ignoring_accents(client):
    for name in ("Maison des services", "Écrivain public", "accueil numérique", "Zone libre"):
        factories.help_point(nom=name)
    commit()

    assert listed_names(html_of(client.get("/help-points"))) == [
        "accueil numérique", "Écrivain public", "Maison des services", "Zone libre",
    ]


def test_the_list_shows_whether_each_place_is_open_now(english, clock):
    factories.help_point(nom="Matin", horaires="Mo-Fr 09:00-12:00")
    factories.help_point(nom="Après-midi", horaires="Mo-Fr 14:00-17:00")
    factories.help_point(nom="Illisible", horaires="lundi 9h-12h")
    commit()
    clock(PARIS_WEDNESDAY_1030)

    html = html_of(english.get("/help-points"))

    items = dict(zip(listed_names(html), re.findall(r"<li>.*?</li>", html, re.S), strict=True))
    assert "Open now" in items["Matin"]
    assert "Closed now" in items["Après-midi"]
    assert "Open now" not in items["Illisible"]
    assert "Closed now" not in items["Illisible"]


# ---------------------------------------------------------------- list: pagination

def test_long_lists_are_paginated_20_a_page_and_links_keep_the_filters(english):
    for number in range(45):
        factories.help_point(nom=f"Lieu {number:02d}", services=["Aide aux démarches administratives"])
    factories.help_point(nom="Lieu hors filtre", services=[])
    commit()
    query = "service=Aide+aux+d%C3%A9marches+administratives"

    first = html_of(english.get(f"/help-points?{query}"))
    third = html_of(english.get(f"/help-points?{query}&page=3"))

    assert listed_names(first) == [f"Lieu {number:02d}" for number in range(20)]
    assert listed_names(third) == [f"Lieu {number:02d}" for number in range(40, 45)]
    assert "45 help points, page 1 of 3" in first
    assert 'rel="next" href="/help-points?page=2&amp;service=Aide' in first
    assert 'rel="prev"' not in first
    assert '<ol class="results" start="41">' in third
    assert 'rel="next"' not in third
    assert english.get(f"/help-points?{query}&page=4").status_code == 404
    assert english.get(f"/help-points?{query}&page=0").status_code == 404


def test_an_empty_list_has_a_first_page(english):
    html = html_of(english.get("/help-points?q=nothing"))
    assert "No help point matches these filters." in html
    assert "Clear the filters" in html


def test_the_number_of_queries_does_not_grow_with_the_data(app, client, db):
    def queries_for(path: str) -> int:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            html_of(client.get(path))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    district = factories.district()
    for _ in range(3):
        factories.help_point(district_id=district.id)
    commit()
    small = {path: queries_for(path) for path in ("/help-points", "/help-points/map", "/help-points?service=Aide")}
    for _ in range(60):
        factories.help_point(district_id=factories.district().id)
    commit()
    large = {path: queries_for(path) for path in small}

    assert large == small
    assert max(small.values()) <= 4


# ---------------------------------------------------------------- map page

def test_the_map_page_carries_points_and_districts_as_data_and_loads_leaflet(client, app):
    district = factories.district(name="Trois-Cités")
    mapped = factories.help_point(nom="Sur la carte", latitude=46.59, longitude=0.36)
    factories.help_point(nom="Sans coordonnées", latitude=None, longitude=None)
    factories.help_point(nom="Inactif", is_active=False)
    commit()

    html = html_of(client.get("/help-points/map"))

    data = map_data(html)
    assert data["points"] == [{"id": mapped.id, "nom": "Sur la carte", "lat": 46.59, "lon": 0.36}]
    assert [(item["id"], item["name"]) for item in data["districts"]] == [(district.id, "Trois-Cités")]
    assert data["districts"][0]["geometry"]["type"] == "Polygon"
    assert data["detailPrefix"] == "/help-points/"
    assert 'src="/static/vendor/leaflet/leaflet.js"' in html
    assert 'src="/static/js/map.js"' in html
    assert 'href="/static/vendor/leaflet/leaflet.css"' in html
    assert f'data-tile-url="{app.config["MAP_TILE_URL"]}"' in html


def test_the_map_page_says_how_many_are_not_mapped_and_links_to_the_list_with_the_filters(english):
    factories.help_point(nom="A", services=["Seniors", "Aide aux démarches administratives"])
    factories.help_point(nom="B", latitude=None, longitude=None, services=["Aide aux démarches administratives"])
    commit()

    html = html_of(english.get("/help-points/map?service=Aide+aux+d%C3%A9marches+administratives"))

    assert "2 help points match." in html
    assert "1 of them has no coordinates and is not on the map." in html
    assert 'href="/help-points?service=Aide+aux+d%C3%A9marches+administratives">See them as a list' in html
    assert "The interactive map needs JavaScript." in html


def test_the_map_filters_like_the_list(client):
    factories.help_point(nom="Sourds", prise_en_charge_specifique=["Surdité"])
    factories.help_point(nom="Autre")
    commit()

    data = map_data(html_of(client.get("/help-points/map?support=Surdit%C3%A9")))

    assert [point["nom"] for point in data["points"]] == ["Sourds"]


def test_staff_get_inactive_points_on_the_map_flagged(client, login_as):
    inactive = factories.help_point(nom="Fermé", is_active=False)
    commit()
    assert map_data(html_of(client.get("/help-points/map")))["points"] == []
    login_as("counsellor")

    points = map_data(html_of(client.get("/help-points/map")))["points"]

    assert points == [{"id": inactive.id, "nom": "Fermé", "lat": 46.58, "lon": 0.34, "inactive": True}]


def test_the_tile_url_comes_from_the_configuration(app, client):
    app.config["MAP_TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"

    response = client.get("/help-points/map")

    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in html_of(response)
    assert "https://tiles.example.org" in response.headers["Content-Security-Policy"]


def test_the_map_page_has_no_inline_script_and_names_cannot_break_out_of_the_data_block(client):
    factories.help_point(nom="</script><script>alert(1)</script>")
    commit()

    html = html_of(client.get("/help-points/map"))

    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "<script>alert(1)" not in html
    assert map_data(html)["points"][0]["nom"] == "</script><script>alert(1)</script>"


def test_only_the_map_page_loads_leaflet(client):
    help_point = factories.help_point()
    commit()
    for path in ("/help-points", f"/help-points/{help_point.id}", "/"):
        html = html_of(client.get(path))
        assert "leaflet" not in html
        assert "map.js" not in html


# ---------------------------------------------------------------- detail page

def test_the_detail_page_shows_the_published_fields(english):
    district = factories.district(name="Couronneries")
    help_point = factories.help_point(
        nom="Centre social", adresse="1 place de la Liberté", complement_adresse="2e étage", code_postal="86000",
        commune="Poitiers", telephone="+33549000001", courriels=["accueil@cs.example.org"],
        site_web=["https://cs.example.org", "javascript:alert(1)"], prise_rdv="https://rdv.example.org",
        services=["Aide aux démarches administratives", "Utilisation sécurisée du numérique"],
        publics_specifiquement_adresses=["Seniors"], prise_en_charge_specifique=["Surdité"],
        modalites_acces=["Se présenter", "Téléphoner"], frais_a_charge=["Gratuit"],
        modalites_accompagnement=["Accompagnement individuel"], dispositif_programmes_nationaux=["France Services"],
        presentation_resume="Accueil sans rendez-vous.", district_id=district.id, pivot="12345678901234",
    )
    commit()

    html = html_of(english.get(f"/help-points/{help_point.id}"))

    assert "<h1>Centre social</h1>" in html
    assert "1 place de la Liberté, 2e étage<br>86000 Poitiers" in html
    assert '<a href="tel:+33549000001">05 49 00 00 01</a>' in html
    assert '<a href="mailto:accueil@cs.example.org">' in html
    assert '<a href="https://cs.example.org">' in html
    assert 'href="javascript' not in html
    assert '<a href="https://rdv.example.org">' in html
    for value in ("Utilisation sécurisée du numérique", "Seniors", "Surdité", "Téléphoner", "Gratuit",
                  "Accompagnement individuel", "France Services", "Accueil sans rendez-vous.", "Couronneries",
                  "12345678901234"):
        assert value in html, value
    assert "Internal data" not in html


def test_an_inactive_help_point_is_not_found_by_the_public_but_shown_to_staff(client, login_as, english):
    help_point = factories.help_point(is_active=False)
    commit()
    assert client.get(f"/help-points/{help_point.id}").status_code == 404
    assert client.get("/help-points/999999").status_code == 404

    login_as("manager")
    html = html_of(english.get(f"/help-points/{help_point.id}"))

    assert "Inactive: hidden from the public" in html


def test_staff_see_the_internal_data(db, english, login_as):
    structure = Structure(name="Centre social des Trois-Cités")
    db.session.add(structure)
    district = factories.district(name="Trois-Cités")
    counsellor = factories.user(role="counsellor", name="Camille Martin")
    help_point = factories.help_point(district_id=district.id, structure_id=structure.id, import_format="cartographie")
    help_point.counsellors.append(counsellor)
    commit()
    login_as("admin")

    html = html_of(english.get(f"/help-points/{help_point.id}"))

    internal = html[html.index("Internal data (staff only)"):]
    for value in ("Shown to the public</dt><dd>Yes", "Trois-Cités", "Centre social des Trois-Cités",
                  "Camille Martin", "cartographie"):
        assert value in internal, value


def test_a_help_point_without_coordinates_says_it_is_not_on_the_map(english):
    help_point = factories.help_point(latitude=None, longitude=None)
    commit()

    html = html_of(english.get(f"/help-points/{help_point.id}"))

    assert "No coordinates: this help point is listed but not shown on the map." in html
    assert "#point-" not in html


def test_a_mapped_help_point_gives_its_coordinates_and_a_link_to_the_map(english):
    help_point = factories.help_point(latitude=46.5812345, longitude=0.3398765)
    commit()

    html = html_of(english.get(f"/help-points/{help_point.id}"))

    assert "46.58123, 0.33988" in html
    assert f'href="/help-points/map#point-{help_point.id}"' in html


def test_invalid_hours_are_shown_as_written_never_a_crash(english):
    help_point = factories.help_point(horaires="lundi 9h-12h <b>et</b> jeudi", has_valid_hours=False)
    commit()

    html = html_of(english.get(f"/help-points/{help_point.id}"))

    assert "These opening hours could not be read automatically" in html
    assert "<code>lundi 9h-12h &lt;b&gt;et&lt;/b&gt; jeudi</code>" in html
    assert "Open now" not in html


def test_missing_hours_are_said_so(english):
    help_point = factories.help_point(horaires=None)
    commit()

    assert "No opening hours given." in html_of(english.get(f"/help-points/{help_point.id}"))


def test_the_weekly_table_and_open_now_in_english(english, clock):
    help_point = factories.help_point(horaires="Mo-Fr 09:00-12:00,14:00-17:00; Sa 10:00-12:00; PH off")
    commit()
    clock(PARIS_WEDNESDAY_1030)

    html = html_of(english.get(f"/help-points/{help_point.id}"))

    assert "Open now, until 12:00 PM." in html
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th>\s*<td>([^<]+)</td>', html))
    assert rows["Monday"] == "9:00 AM–12:00 PM, 2:00 PM–5:00 PM"
    assert rows["Wednesday (today)"] == "9:00 AM–12:00 PM, 2:00 PM–5:00 PM"
    assert rows["Saturday"] == "10:00 AM–12:00 PM"
    assert rows["Sunday"] == "Closed"
    assert '<tr aria-current="date">' in html


def test_the_weekly_table_and_next_opening_in_french(client, clock):
    help_point = factories.help_point(horaires="Mo-Fr 09:00-12:00,14:00-17:00; PH off")
    commit()
    clock(PARIS_SATURDAY_1000)

    html = html_of(client.get(f"/help-points/{help_point.id}"))

    rows = dict(re.findall(r'<th scope="row">([^<]+)</th>\s*<td>([^<]+)</td>', html))
    assert rows["Lundi"] == "09:00–12:00, 14:00–17:00"
    assert "Samedi" in "".join(rows)
    assert "lundi 7 décembre" in html  # next opening, written the French way


def test_next_opening_skips_a_french_public_holiday_and_the_holiday_is_listed(english, clock):
    help_point = factories.help_point(horaires="Mo-Fr 09:00-12:00; PH off")
    open_on_holidays = factories.help_point(horaires="Mo-Fr 09:00-12:00")
    commit()
    clock(CHRISTMAS_EVE_1800)

    html = html_of(english.get(f"/help-points/{help_point.id}"))
    other = html_of(english.get(f"/help-points/{open_on_holidays.id}"))

    assert "Closed now. Next opening: Monday 28 December at 9:00 AM." in html
    assert "Friday 25 December (Christmas Day): closed" in html
    assert "Friday 1 January (New Year&#39;s Day): closed" in html
    assert "Closed now. Next opening: tomorrow at 9:00 AM." in other
    assert "Friday 25 December (Christmas Day): 9:00 AM–12:00 PM" in other


def test_open_now_is_computed_in_the_configured_time_zone(app, english, clock):
    help_point = factories.help_point(horaires="Mo-Su 10:00-11:00")
    commit()
    clock(datetime(2026, 12, 2, 6, 30, tzinfo=UTC))  # 07:30 in Paris, 10:30 in La Réunion

    assert "Closed now. Next opening: today at 10:00 AM." in html_of(english.get(f"/help-points/{help_point.id}"))
    app.config["TIMEZONE"] = "Indian/Reunion"
    assert "Open now, until 11:00 AM." in html_of(english.get(f"/help-points/{help_point.id}"))


def test_pages_are_in_french_by_default(client):
    help_point = factories.help_point()
    commit()

    html = html_of(client.get(f"/help-points/{help_point.id}"))

    assert '<html lang="fr">' in html
    assert '<th scope="row">Vendredi' in html


def test_with_many_points_the_map_uses_a_canvas_and_sends_keyboard_users_to_the_list(english, monkeypatch):
    factories.help_point()
    factories.help_point()
    commit()
    hint = "On the map, Tab reaches each help point"
    assert map_data(html := html_of(english.get("/help-points/map")))["keyboardMarkers"] is True
    assert hint in html
    monkeypatch.setattr(routes, "KEYBOARD_MARKERS_MAX", 1)

    html = html_of(english.get("/help-points/map"))

    assert map_data(html)["keyboardMarkers"] is False
    assert hint not in html
    assert "The list gives the same information as the map" in html


# ---------------------------------------------------------------- rate limit

def test_anonymous_visitors_are_rate_limited_but_staff_are_not(app, client, login_as):
    app.config["PUBLIC_RATE_LIMIT"] = "3 per minute"
    assert [client.get("/help-points").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client.get("/help-points/map").status_code == 200  # one budget per page

    login_as("counsellor")
    for _ in range(5):
        assert client.get("/help-points").status_code == 200


def test_a_place_open_day_and_night(english, clock):
    help_point = factories.help_point(horaires="24/7")
    commit()
    clock(PARIS_WEDNESDAY_1030)

    html = html_of(english.get(f"/help-points/{help_point.id}"))

    assert "Open now, at all times." in html
    assert re.search(r'<th scope="row">Sunday</th>\s*<td>all day</td>', html)
