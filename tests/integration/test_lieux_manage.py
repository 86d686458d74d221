"""Managers create, edit, deactivate help points and decide probable duplicates (forms, no JavaScript)."""

from __future__ import annotations

import html
import re
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa

from inclusion_app.extensions import db
from inclusion_app.lieux.standard import PIVOT_UNKNOWN
from inclusion_app.models import HelpPoint, HelpPointDuplicate, Structure
from tests import factories
from tests.conftest import csrf_token_from

LIST = "/manage/help-points"
NEW = "/manage/help-points/new"
DUPLICATES = "/manage/help-points/duplicates"

VALID: dict[str, Any] = {
    "nom": "Espace numérique des Couronneries",
    "adresse": "37 rue de Bourgogne",
    "code_postal": "86000",
    "commune": "Poitiers",
    "code_insee": "86194",
    "latitude": "46,5890",
    "longitude": "0.3620",
    "telephone": "05 49 41 00 00",
    "courriels": "contact@example.org accueil@example.org",
    "site_web": "https://www.example.org",
    "horaires": "Mo-Fr 09:00-12:00,14:00-17:00; PH off",
    "presentation_resume": "Aide aux démarches en ligne, sans rendez-vous le matin.",
    "typologie": ["EPN", "MUNI"],
    "services": ["Aide aux démarches administratives", "Maîtrise des outils numériques du quotidien"],
    "frais_a_charge": ["Gratuit"],
    "modalites_acces": ["Se présenter", "Téléphoner"],
    "autres_formations_labels": "Label numérique local",
    "structure_id": "0",
    "is_active": "y",
}


class FormState(HTMLParser):
    """The values a browser would send back from a page's main form: name -> list of values."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name") or ""
        if tag == "input" and attributes.get("type") in ("checkbox", "radio"):
            if "checked" in attributes:
                self.values.setdefault(name, []).append(attributes.get("value") or "")
        elif tag == "input" and attributes.get("type") not in ("submit", "hidden"):
            self.values.setdefault(name, []).append(attributes.get("value") or "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.values.setdefault(self._select, []).append(attributes.get("value") or "")
        elif tag == "textarea":
            self._textarea = name
            self.values.setdefault(name, [""])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:  # a browser drops the newline that opens a textarea
            text = self.values[self._textarea][-1] + data
            self.values[self._textarea][-1] = re.sub(r"^\r?\n", "", text)


def form_state(page: str) -> dict[str, list[str]]:
    parser = FormState()
    parser.feed(page)
    return parser.values


def field_errors(page: str, field: str) -> str:
    """The text of the error list shown next to `field` ("" when none)."""
    match = re.search(rf'<ul class="errors" id="{field}-error">(.*?)</ul>', page, re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))) if match else ""


def post_form(client: Any, path: str, data: dict[str, Any], form_page: str | None = None) -> Any:
    """POST `data` with the CSRF token of `form_page` (default: the page at `path`)."""
    token = csrf_token_from(client.get(form_page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def count_help_points() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(HelpPoint))


# ---------------------------------------------------------------- create


def test_new_form_has_every_field_of_the_standard_labelled(client, login_as):
    login_as("manager")
    page = client.get(NEW).get_data(as_text=True)
    assert "<h1>Nouveau lieu</h1>" in page or "<h1>New help point</h1>" in page
    for name in ("nom", "lieu_id", "pivot", "typologie", "adresse", "complement_adresse", "code_postal", "commune",
                 "code_insee", "latitude", "longitude", "telephone", "courriels", "site_web", "horaires",
                 "presentation_resume", "presentation_detail", "source", "structure_parente", "prise_rdv",
                 "fiche_acces_libre", "autres_formations_labels", "date_maj", "structure_id", "is_active"):
        assert f'for="{name}"' in page, name
    for group in ("services", "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
                  "itinerance", "modalites_acces", "modalites_accompagnement", "dispositif_programmes_nationaux",
                  "formations_labels", "counsellor_ids"):
        assert re.search(rf'<fieldset[^>]*id="{group}"', page), group
    assert "Mo-Fr 09:00-12:00,14:00-17:00; PH off" in page
    assert '<option value="EPN">EPN</option>' in page


def test_manager_creates_a_help_point_saved_in_the_standard_form(client, login_as):
    login_as("manager")
    counsellor = factories.user(role="counsellor", structures=["Médiathèque des Couronneries"])
    db.session.commit()
    structure_id = db.session.scalar(sa.select(Structure.id))
    data = {**VALID, "structure_id": str(structure_id), "counsellor_ids": [str(counsellor.id)]}

    response = post_form(client, NEW, data)

    assert response.status_code == 302
    help_point = db.session.scalar(sa.select(HelpPoint))
    assert response.headers["Location"] == f"/manage/help-points/{help_point.id}/edit"
    assert help_point.nom == VALID["nom"]
    assert help_point.telephone == "+33549410000"
    assert help_point.pivot == PIVOT_UNKNOWN
    assert help_point.lieu_id.startswith("lieu-")
    assert (help_point.latitude, help_point.longitude) == (46.589, 0.362)
    assert help_point.courriels == ["contact@example.org", "accueil@example.org"]
    assert help_point.services == VALID["services"]
    assert help_point.typologie == ["EPN", "MUNI"]
    assert help_point.autres_formations_labels == "Label numérique local"
    assert help_point.date_maj == date.today()
    assert help_point.is_active
    assert help_point.has_valid_hours
    assert help_point.structure_id == structure_id
    assert [user.id for user in help_point.counsellors] == [counsellor.id]
    assert VALID["nom"] in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_created_help_point_gets_its_district(client, login_as):
    login_as("manager")
    district = factories.district(name="Couronneries")
    db.session.commit()

    assert post_form(client, NEW, VALID).status_code == 302

    help_point = db.session.scalar(sa.select(HelpPoint))
    assert help_point.district_id == district.id
    assert help_point.is_outside_territory is False


def test_a_help_point_in_france_but_outside_the_districts_is_outside_the_territory(client, login_as):
    login_as("manager")
    factories.district()
    db.session.commit()

    assert post_form(client, NEW, {**VALID, "latitude": "48.8566", "longitude": "2.3522"}).status_code == 302

    help_point = db.session.scalar(sa.select(HelpPoint))
    assert (help_point.district_id, help_point.is_outside_territory) == (None, True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code_postal": "86A00"}, "code_postal", "86A00 n'est pas un code valide"),
        ({"code_insee": "20123"}, "code_insee", "20123 n'est pas un code valide"),
        ({"telephone": "01 23"}, "telephone", "numéro de téléphone invalide"),
        ({"telephone": "+1 212 555 0100"}, "telephone", "hors de France"),
        ({"latitude": "40.7128", "longitude": "-74.0060"}, "latitude", "hors de France et des outre-mer"),
        ({"horaires": "lundi 9h-12h"}, "horaires", "hors syntaxe OpenStreetMap"),
        ({"courriels": "contact@"}, "courriels", "contact@ invalide"),
        ({"pivot": "123"}, "pivot", "SIRET/RNA 123 invalide"),
        ({"longitude": ""}, "longitude", ("Saisissez la latitude et la longitude, ou aucune des deux.",
                                          "Enter both the latitude and the longitude, or neither.")),
        ({"nom": ""}, "nom", ("Saisissez le nom du lieu.", "Enter the name of the help point.")),
    ],
    ids=["postcode", "insee", "phone", "foreign-phone", "coordinates", "hours", "email", "pivot",
         "one-coordinate", "name"],
)
def test_invalid_input_is_refused_with_a_message_next_to_the_field_and_every_value_kept(
    client, login_as, changes, field, message
):
    login_as("manager")
    data = {**VALID, **changes}

    response = post_form(client, NEW, data)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert count_help_points() == 0
    errors = field_errors(page, field)
    # the standard's messages (Issue.message) are French; the form's own go through the catalogs
    assert any(text in errors or text[:1].upper() + text[1:] in errors
               for text in (message if isinstance(message, tuple) else (message,))), errors
    assert 'class="error-summary"' in page
    assert f'href="#{field}"' in page
    assert f'aria-describedby="{field}-error"' in page or f'-hint {field}-error"' in page
    state = form_state(page)
    for name, value in data.items():
        if name in ("latitude", "longitude") and value:
            assert state[name] == [value], name
        elif name != "is_active":
            assert state.get(name, [""]) == (value if isinstance(value, list) else [value]), name
    assert state["is_active"] == ["y"]


def test_one_pass_shows_every_error_at_once(client, login_as):
    login_as("manager")
    data = {**VALID, "nom": "", "telephone": "01 23", "horaires": "lundi 9h-12h", "code_postal": "86A00"}

    page = post_form(client, NEW, data).get_data(as_text=True)

    for field in ("nom", "telephone", "horaires", "code_postal"):
        assert field_errors(page, field), field


def test_harmless_rewrites_are_not_errors(client, login_as):
    login_as("manager")
    data = {**VALID, "telephone": "0549410000", "pivot": "", "code_postal": "86 000", "site_web": "www.example.org"}

    assert post_form(client, NEW, data).status_code == 302

    help_point = db.session.scalar(sa.select(HelpPoint))
    assert (help_point.telephone, help_point.pivot, help_point.code_postal) == ("+33549410000", PIVOT_UNKNOWN, "86000")
    assert help_point.site_web == ["https://www.example.org"]


def test_a_help_point_without_coordinates_is_saved_unmapped(client, login_as):
    login_as("manager")

    assert post_form(client, NEW, {**VALID, "latitude": "", "longitude": ""}).status_code == 302

    help_point = db.session.scalar(sa.select(HelpPoint))
    assert not help_point.is_mapped


def test_an_identifier_already_used_is_refused(client, login_as):
    login_as("manager")
    factories.help_point(lieu_id="poitiers-1", nom="Médiathèque François-Mitterrand")
    db.session.commit()

    page = post_form(client, NEW, {**VALID, "lieu_id": "poitiers-1"}).get_data(as_text=True)

    assert "Médiathèque François-Mitterrand" in field_errors(page, "lieu_id")
    assert count_help_points() == 1


def test_messages_follow_the_language_of_the_page(client, login_as):
    login_as("manager")
    client.set_cookie("lang", "en")

    page = post_form(client, NEW, {**VALID, "telephone": "01 23"}).get_data(as_text=True)

    assert "Phone number not valid." in field_errors(page, "telephone")


# ---------------------------------------------------------------- edit, deactivate


def test_edit_shows_the_saved_values_and_saves_changes(client, login_as):
    login_as("admin")
    help_point = factories.help_point(telephone="+33549410000", courriels=["a@example.org"])
    db.session.commit()
    path = f"/manage/help-points/{help_point.id}/edit"
    state = form_state(client.get(path).get_data(as_text=True))
    assert state["nom"] == [help_point.nom]
    assert state["telephone"] == ["+33549410000"]
    assert state["services"] == ["Aide aux démarches administratives"]
    assert state["latitude"] == ["46.58"]

    data = {name: values if name in ("services", "typologie") else values[0] for name, values in state.items()}
    data.update({"telephone": "05 49 00 00 01", "services": ["Accès internet et matériel informatique"],
                 "is_active": "y"})
    response = client.post(path, data={**data, "csrf_token": csrf_token_from(client.get(path).get_data(as_text=True))})

    assert response.status_code == 302
    db.session.refresh(help_point)
    assert help_point.telephone == "+33549000001"
    assert help_point.services == ["Accès internet et matériel informatique"]
    assert help_point.lieu_id.startswith("test-")
    assert help_point.date_maj == date.today()


def test_edit_refuses_an_invalid_value_and_changes_nothing(client, login_as):
    login_as("manager")
    help_point = factories.help_point(telephone="+33549410000")
    db.session.commit()
    path = f"/manage/help-points/{help_point.id}/edit"

    page = post_form(client, path, {**VALID, "telephone": "12"}).get_data(as_text=True)

    assert "invalide" in field_errors(page, "telephone")
    db.session.refresh(help_point)
    assert help_point.telephone == "+33549410000"
    assert help_point.nom != VALID["nom"]


def test_deactivate_then_reactivate(client, login_as):
    login_as("manager")
    help_point = factories.help_point()
    db.session.commit()
    edit = f"/manage/help-points/{help_point.id}/edit"

    response = post_form(client, f"/manage/help-points/{help_point.id}/deactivate", {}, form_page=edit)

    assert response.status_code == 302
    db.session.refresh(help_point)
    assert help_point.is_active is False
    assert "Reactivate" in client.get(edit).get_data(as_text=True) or "Réactiver" in client.get(edit).get_data(
        as_text=True)
    post_form(client, f"/manage/help-points/{help_point.id}/reactivate", {}, form_page=edit)
    db.session.refresh(help_point)
    assert help_point.is_active is True


def test_unknown_help_point_is_404(client, login_as):
    login_as("manager")
    assert client.get("/manage/help-points/999/edit").status_code == 404


# ---------------------------------------------------------------- list


def test_list_shows_inactive_points_paginates_and_searches(client, login_as):
    login_as("manager")
    for number in range(27):
        factories.help_point(nom=f"Lieu {number:02d}")
    factories.help_point(nom="Zénith inactif", is_active=False)
    db.session.commit()

    first = client.get(LIST).get_data(as_text=True)
    second = client.get(LIST + "?page=2").get_data(as_text=True)

    assert first.count('<th scope="row">') == 25
    assert second.count('<th scope="row">') == 3
    assert "Zénith inactif" in second
    found = client.get(LIST + "?q=z%C3%A9nith").get_data(as_text=True)
    assert found.count('<th scope="row">') == 1
    assert "Zénith inactif" in found
    assert client.get(LIST + "?q=100%25").get_data(as_text=True).count('<th scope="row">') == 0


# ---------------------------------------------------------------- duplicates


def duplicate_pair() -> tuple[HelpPoint, HelpPoint, HelpPointDuplicate]:
    first_counsellor = factories.user(role="counsellor", structures=["Centre social"])
    second_counsellor = factories.user(role="counsellor")
    kept = factories.help_point(nom="Médiathèque", telephone="+33549410000", horaires=None, presentation_resume=None,
                                services=["Aide aux démarches administratives"])
    other = factories.help_point(
        nom="Médiatheque", telephone="+33549000001", pivot="21860194500013",
        services=["Aide aux démarches administratives", "Accès internet et matériel informatique"],
        horaires="Mo-Fr 10:00-12:00", presentation_resume="Accès libre.", structure_id=db.session.scalar(
            sa.select(Structure.id)),
    )
    kept.counsellors = [first_counsellor]
    other.counsellors = [second_counsellor, first_counsellor]
    duplicate = HelpPointDuplicate(help_point_id=kept.id, other_id=other.id, reason="same_address")
    db.session.add(duplicate)
    db.session.commit()
    return kept, other, duplicate


def test_duplicates_page_lists_open_pairs_only(client, login_as):
    login_as("manager")
    kept, other, _duplicate = duplicate_pair()
    third = factories.help_point(nom="Autre lieu")
    db.session.add(HelpPointDuplicate(help_point_id=kept.id, other_id=third.id, reason="close_coordinates",
                                      status="dismissed"))
    db.session.commit()

    page = client.get(DUPLICATES).get_data(as_text=True)

    assert "Médiatheque" in page
    assert "Autre lieu" not in page
    assert f'name="keep" value="{kept.id}"' in page
    assert f'name="keep" value="{other.id}"' in page


def test_merge_keeps_one_point_completes_it_and_deactivates_the_other(client, login_as):
    login_as("manager")
    kept, other, duplicate = duplicate_pair()
    counsellor_ids = {user.id for user in other.counsellors}

    response = post_form(client, f"{DUPLICATES}/{duplicate.id}/merge", {"keep": str(kept.id)}, form_page=DUPLICATES)

    assert response.status_code == 302
    db.session.expire_all()
    kept, other, duplicate = (db.session.get(HelpPoint, kept.id), db.session.get(HelpPoint, other.id),
                              db.session.get(HelpPointDuplicate, duplicate.id))
    assert kept.telephone == "+33549410000"  # its own value stays
    assert kept.services == ["Aide aux démarches administratives", "Accès internet et matériel informatique"]
    assert (kept.horaires, kept.presentation_resume, kept.pivot) == ("Mo-Fr 10:00-12:00", "Accès libre.",
                                                                    "21860194500013")
    assert kept.structure_id is not None
    assert {user.id for user in kept.counsellors} == counsellor_ids
    assert kept.is_active
    assert not other.is_active
    assert other.counsellors == []
    assert duplicate.status == "merged"
    assert duplicate.resolved_at is not None
    assert count_help_points() == 2


def test_merge_gives_the_kept_point_the_coordinates_and_district_it_lacked(client, login_as):
    login_as("manager")
    district = factories.district()
    kept, other, duplicate = duplicate_pair()
    kept.latitude = kept.longitude = None
    db.session.commit()

    post_form(client, f"{DUPLICATES}/{duplicate.id}/merge", {"keep": str(kept.id)}, form_page=DUPLICATES)

    db.session.expire_all()
    kept = db.session.get(HelpPoint, kept.id)
    assert (kept.latitude, kept.longitude, kept.district_id) == (other.latitude, other.longitude, district.id)


def test_merge_can_keep_the_second_point(client, login_as):
    login_as("manager")
    kept, other, duplicate = duplicate_pair()

    post_form(client, f"{DUPLICATES}/{duplicate.id}/merge", {"keep": str(other.id)}, form_page=DUPLICATES)

    db.session.expire_all()
    assert db.session.get(HelpPoint, other.id).is_active
    assert not db.session.get(HelpPoint, kept.id).is_active
    assert db.session.get(HelpPoint, other.id).telephone == "+33549000001"


def test_merge_refuses_a_point_outside_the_pair_and_a_decided_pair(client, login_as):
    login_as("manager")
    kept, other, duplicate = duplicate_pair()
    stranger = factories.help_point()
    db.session.commit()
    merge = f"{DUPLICATES}/{duplicate.id}/merge"

    assert post_form(client, merge, {"keep": str(stranger.id)}, form_page=DUPLICATES).status_code == 400
    assert post_form(client, merge, {}, form_page=DUPLICATES).status_code == 400
    assert post_form(client, f"{DUPLICATES}/999/merge", {"keep": "1"}, form_page=DUPLICATES).status_code == 404
    post_form(client, f"{DUPLICATES}/{duplicate.id}/dismiss", {}, form_page=DUPLICATES)
    response = post_form(client, merge, {"keep": str(kept.id)}, form_page=DUPLICATES)

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(HelpPointDuplicate, duplicate.id).status == "dismissed"
    assert db.session.get(HelpPoint, other.id).is_active


def test_dismiss_keeps_both_points(client, login_as):
    login_as("admin")
    kept, other, duplicate = duplicate_pair()

    response = post_form(client, f"{DUPLICATES}/{duplicate.id}/dismiss", {}, form_page=DUPLICATES)

    assert response.status_code == 302
    db.session.expire_all()
    duplicate = db.session.get(HelpPointDuplicate, duplicate.id)
    assert duplicate.status == "dismissed"
    assert duplicate.resolved_at is not None
    assert db.session.get(HelpPoint, kept.id).is_active
    assert db.session.get(HelpPoint, other.id).is_active
    assert "Médiatheque" not in client.get(DUPLICATES).get_data(as_text=True)


# ---------------------------------------------------------------- access and CSRF


@pytest.mark.parametrize("role", ["phone_agent", "counsellor"])
def test_other_roles_are_refused(client, login_as, role):
    login_as(role)
    help_point = factories.help_point()
    db.session.commit()
    for path in (LIST, NEW, DUPLICATES, f"/manage/help-points/{help_point.id}/edit"):
        assert client.get(path).status_code == 403, path
    token = csrf_token_from(client.get("/dashboard").get_data(as_text=True))
    for path in (NEW, f"/manage/help-points/{help_point.id}/deactivate", f"{DUPLICATES}/1/merge",
                 f"{DUPLICATES}/1/dismiss"):
        assert client.post(path, data={**VALID, "csrf_token": token}).status_code == 403, path
    assert count_help_points() == 1


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_posts_without_a_csrf_token_are_refused(client, login_as):
    login_as("manager")
    help_point = factories.help_point()
    _kept, _other, duplicate = duplicate_pair()

    assert client.post(NEW, data=VALID).status_code == 400
    assert client.post(f"/manage/help-points/{help_point.id}/edit", data=VALID).status_code == 400
    assert client.post(f"/manage/help-points/{help_point.id}/deactivate").status_code == 400
    assert client.post(f"{DUPLICATES}/{duplicate.id}/merge", data={"keep": str(duplicate.help_point_id)}).status_code \
        == 400
    assert client.post(f"{DUPLICATES}/{duplicate.id}/dismiss").status_code == 400

    db.session.expire_all()
    assert count_help_points() == 3
    assert db.session.get(HelpPoint, help_point.id).is_active
    assert db.session.get(HelpPointDuplicate, duplicate.id).status == "open"
