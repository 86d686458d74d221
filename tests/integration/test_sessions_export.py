"""CSV export of one's help sessions in La Coop's columns, with codes and French labels."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from flask_babel import force_locale

from inclusion_app import vocabularies
from inclusion_app.extensions import db
from inclusion_app.models.types import utcnow
from inclusion_app.sessions.export import export_csv, header
from tests import factories
from tests.sessions_factories import help_session, unmet_right

LA_COOP = [
    "Date", "Type", "Nombre de participants", "Bénéficiaire", "Canaux d’accompagnement", "Lieu", "Durée (min)",
    "Nom de l’atelier", "Matériel numérique utilisé", "Thématique(s) d’accompagnement",
    "Nom de la démarche administrative", "Niveau d’autonomie du bénéficiaire", "Niveau de l’atelier",
    "Le bénéficiaire est-il orienté vers une autre structure ?", "Structure de redirection",
    "Commune de résidence du bénéficiaire", "Genre du bénéficiaire", "Tranche d’âge du bénéficiaire",
    "Statut du bénéficiaire", "Notes supplémentaires",
]
CODED = {"Type", "Canaux d’accompagnement", "Matériel numérique utilisé", "Thématique(s) d’accompagnement",
         "Niveau d’autonomie du bénéficiaire", "Niveau de l’atelier", "Structure de redirection",
         "Genre du bénéficiaire", "Tranche d’âge du bénéficiaire", "Statut du bénéficiaire",
         "Résultat de la démarche", "Thématique(s) de la démarche administrative"}
OWN = ["Résultat de la démarche", "Thématique(s) de la démarche administrative",
       "Nom de la structure de redirection", "Code commune (INSEE)", "Droits non recourus repérés", "Identifiant"]


def french(label: object) -> str:
    with force_locale("fr"):
        return str(label)


def rows_of(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def test_the_header_is_la_coops_then_ours_each_code_with_its_label():
    expected: list[str] = []
    for name in LA_COOP + OWN:
        expected += [name, f"{name} (libellé)"] if name in CODED else [name]
    assert header() == expected


def test_codes_and_labels_of_an_individual_session(app):
    counsellor = factories.user()
    point = factories.help_point(nom="Médiathèque François-Mitterrand", code_postal="86000", commune="Poitiers")
    session = help_session(
        counsellor, date=date(2026, 3, 2), duration_minutes=45, place_type="lieu_activite", help_point_id=point.id,
        themes=["email", "aide_aux_demarches_administratives"], procedures=["logement", "argent_impots"],
        precision="=HYPERLINK(1)", equipment=["telephone"], autonomy="autonome", outcome="oriente_vers_structure",
        referral="aide_sociale", referral_structure="CCAS", birth_year=1950, age_band="soixante_dix_plus",
        gender="feminin", social_status="retraite")
    unmet_right(session, right="aide_logement")
    row = rows_of(export_csv([session]))[0]
    assert row["Date"] == "2026-03-02"
    assert (row["Type"], row["Type (libellé)"]) == ("individuel", french(vocabularies.SESSION_TYPES["individuel"]))
    assert row["Nombre de participants"] == "1"
    assert row["Bénéficiaire"] == "Anonyme"
    assert row["Canaux d’accompagnement"] == "lieu_activite"
    assert row["Lieu"] == "Médiathèque François-Mitterrand, 86000 Poitiers"
    assert row["Durée (min)"] == "45"
    assert row["Thématique(s) d’accompagnement"] == "email|aide_aux_demarches_administratives"
    assert row["Thématique(s) de la démarche administrative"] == "logement|argent_impots"
    assert row["Thématique(s) de la démarche administrative (libellé)"] == "Logement|Argent - Impôts"
    assert row["Genre du bénéficiaire (libellé)"] == french(vocabularies.GENDERS["feminin"])
    assert row["Nom de la démarche administrative"] == "'=HYPERLINK(1)"
    assert row["Niveau d’autonomie du bénéficiaire"] == "autonome"
    assert row["Le bénéficiaire est-il orienté vers une autre structure ?"] == "Oui"
    assert row["Structure de redirection"] == "aide_sociale"
    assert row["Nom de la structure de redirection"] == "CCAS"
    assert (row["Genre du bénéficiaire"], row["Tranche d’âge du bénéficiaire"], row["Statut du bénéficiaire"]) == \
        ("feminin", "soixante_dix_plus", "retraite")
    assert row["Résultat de la démarche"] == "oriente_vers_structure"
    assert row["Droits non recourus repérés"] == "aide_logement"
    assert row["Identifiant"] == str(session.id)


def test_a_workshop_at_home_gives_its_count_title_level_and_commune(app):
    counsellor = factories.user()
    workshop = help_session(counsellor, type="collectif", title="Découvrir internet", level="debutant",
                            participants={"total": 7}, participants_total=7, place_type="domicile",
                            commune_code="86194", commune_name="Poitiers")
    row = rows_of(export_csv([workshop]))[0]
    assert (row["Nombre de participants"], row["Nom de l’atelier"], row["Niveau de l’atelier"]) == \
        ("7", "Découvrir internet", "debutant")
    assert row["Lieu"] == row["Commune de résidence du bénéficiaire"] == "86194 Poitiers"
    assert row["Le bénéficiaire est-il orienté vers une autre structure ?"] == ""


@pytest.fixture
def logged_in(login_as):
    return login_as("counsellor", structures=["Médiathèque"])


def test_the_route_exports_only_ones_own_live_sessions_in_the_period(client, logged_in):
    colleague = factories.user(structures=["Médiathèque"])
    kept = help_session(logged_in, date=date(2026, 3, 2))
    help_session(logged_in, date=date(2026, 1, 5))
    help_session(logged_in, date=date(2026, 3, 3), deleted_at=utcnow())
    help_session(colleague, date=date(2026, 3, 2))
    db.session.commit()
    response = client.get("/accompagnements/export.csv?date_from=2026-03-01&date_to=2026-03-31")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="accompagnements-2026-03-01-2026-03-31.csv"' in response.headers["Content-Disposition"]
    assert [row["Identifiant"] for row in rows_of(response.get_data(as_text=True))] == [str(kept.id)]
    assert client.get("/accompagnements/export.csv?date_from=mars").status_code == 400


@pytest.mark.parametrize("role", ["phone_agent", "manager", "admin"])
def test_other_roles_cannot_export(client, login_as, role):
    login_as(role)
    assert client.get("/accompagnements/export.csv").status_code == 403
