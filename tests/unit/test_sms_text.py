"""SMS text: GSM-7 / UCS-2 counting (3GPP TS 23.038), transliteration, and every default message
rendered for every real Vienne help point fits one GSM-7 segment."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from inclusion_app.extensions import db
from inclusion_app.lieux.importer import import_lieux
from inclusion_app.messaging.gsm import gsm7_transliterate, shorten, sms_encoding
from inclusion_app.messaging.texts import KINDS, render
from inclusion_app.models import Appointment, HelpPoint
from inclusion_app.seed import DEMO_LIEUX
from tests import factories
from tests import scheduling_factories as sf


def test_plain_ascii_is_gsm7_one_character_each() -> None:
    result = sms_encoding("Rappel RDV mar. 3 déc. à 14h30")
    assert (result.encoding, result.characters, result.segments, result.non_gsm) == ("GSM-7", 30, 1, ())


@pytest.mark.parametrize("char", ["€", "^", "[", "]", "{", "}", "~", "|", "\\"])
def test_extension_characters_count_two(char: str) -> None:
    result = sms_encoding(f"a{char}b")
    assert (result.encoding, result.characters) == ("GSM-7", 4)


def test_160_characters_are_one_segment_161_are_two() -> None:
    assert sms_encoding("x" * 160).segments == 1
    assert sms_encoding("x" * 161).segments == 2
    assert sms_encoding("x" * 306).segments == 2
    assert sms_encoding("x" * 307).segments == 3


def test_159_characters_and_one_euro_sign_make_two_segments() -> None:
    result = sms_encoding("x" * 159 + "€")
    assert (result.characters, result.segments) == (161, 2)


def test_one_typographic_apostrophe_turns_the_message_into_ucs2() -> None:
    result = sms_encoding("L’accueil" + "x" * 62)
    assert result.encoding == "UCS-2"
    assert result.non_gsm == ("’",)
    assert (result.characters, result.segments) == (71, 2)
    assert sms_encoding("L’accueil").segments == 1


def test_ucs2_segments_are_70_then_67() -> None:
    assert sms_encoding("ê" * 70).segments == 1
    assert sms_encoding("ê" * 134).segments == 2
    assert sms_encoding("ê" * 135).segments == 3


def test_emoji_counts_two_utf16_units() -> None:
    assert sms_encoding("😀").characters == 2


def test_empty_text_has_no_segment() -> None:
    assert sms_encoding("").segments == 0


def test_french_accents_of_the_gsm7_set_stay_others_are_mapped() -> None:
    assert gsm7_transliterate("é è ù ì ò É Ç à") == "é è ù ì ò É Ç à"
    assert gsm7_transliterate("â ê î ô û ç œ ’ « » … –") == "a e i o u c oe ' \" \" ... -"
    assert gsm7_transliterate("Prix 5 € [x]", basic_only=True) == "Prix 5 EUR (x)"
    assert sms_encoding(gsm7_transliterate("Maîtrise de l’hôtel — Noël 漢")).is_gsm7


def test_shorten_cuts_at_a_word_and_marks_the_cut() -> None:
    assert shorten("Centre social des Trois Cités", 100) == "Centre social des Trois Cités"
    cut = shorten("Centre social des Trois Cités", 20)
    assert len(cut) <= 20
    assert cut.endswith("...")


LONG_NAME = ("Maison départementale Françoise-Dolto de la solidarité et de l’accompagnement numérique — Espace France "
             "services « Cœur de Vienne » des Côteaux du Clain")
LONG_ADDRESS = "Bâtiment Ç, 12 bis chemin de la Forêt Domaniale de Moulière, près de l’hôtel-Dieu (accès rampe)"


def _every_place() -> list[HelpPoint]:
    for path in DEMO_LIEUX:
        import_lieux(path, "auto", path.name)
    factories.help_point(nom=LONG_NAME, adresse=LONG_ADDRESS, commune="Saint-Georges-lès-Baillargeaux",
                         telephone="+33549000000")
    return list(db.session.scalars(sa.select(HelpPoint)))


def _assert_one_gsm7_segment(text: str, context: Any) -> None:
    result = sms_encoding(text)
    assert result.is_gsm7, (context, result.non_gsm, text)
    assert result.characters <= 160, (context, result.characters, text)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_sms_fits_one_gsm7_segment_for_every_real_help_point(app: Flask, language: str) -> None:
    app.config["SERVICE_PHONE"] = "+33549000000"
    places = _every_place()
    who = sf.resident(phone="+33612345678", phone_is_mobile=True)
    assert len(places) > 50
    for index, place in enumerate([*places, None]):
        row = Appointment(mode="phone" if place is None else "on_site", help_point=place, resident=who,
                          starts_at=sf.local(f"2027-{1 + index % 12:02d}-{28 - index % 3} 14:30"))
        previous = sf.local(f"2027-{1 + (index + 7) % 12:02d}-{28 - index % 3} 10:45")
        for kind in KINDS:
            text = render(kind, row, "sms", language, previous_start=previous).body
            _assert_one_gsm7_segment(text, (kind, language, place.nom if place else "phone"))


def test_the_long_place_is_shortened_but_the_date_time_and_phone_stay(app: Flask) -> None:
    app.config["SERVICE_PHONE"] = None
    place = factories.help_point(nom=LONG_NAME, adresse=LONG_ADDRESS, telephone="+33549000000")
    row = sf.appointment(factories.user(), "2026-09-30 14:30", help_point=place,
                         who=sf.resident(phone="+33612345678", phone_is_mobile=True))
    text = render("reminder", row, "sms", "en").body
    assert "Wed 30 Sept at 14:30" in text or "Wed 30 Sep at 14:30" in text
    assert "05 49 00 00 00" in text
    assert "ANNULER" in text
    assert "Maison départementale" in text
    assert "12 bis" in text
    _assert_one_gsm7_segment(text, "long place")


def test_phone_appointment_says_a_counsellor_will_call(app: Flask) -> None:
    app.config["SERVICE_PHONE"] = "+33549111111"
    row = sf.appointment(factories.user(), "2026-12-01 09:00",
                         who=sf.resident(phone="+33612345678", phone_is_mobile=True))
    text = render("reminder", row, "sms", "en").body
    assert "will call you at 06 12 34 56 78" in text
    assert "05 49 11 11 11" in text


def test_change_names_the_old_and_the_new_time(app: Flask) -> None:
    row = sf.appointment(factories.user(), "2026-12-01 09:00", help_point=factories.help_point())
    text = render("change", row, "sms", "en", previous_start=sf.local("2026-11-30 16:15")).body
    assert "from Mon 30 Nov at 16:15 to Tue 1 Dec at 9:00" in text


def test_email_has_subject_place_documents_and_cancel_link(app: Flask) -> None:
    app.config["PUBLIC_BASE_URL"] = "https://rdv.example.test"
    place = factories.help_point(telephone="+33549000000")
    row = sf.appointment(factories.user(), "2026-12-01 09:00", help_point=place)
    rendered = render("reminder", row, "email", "en")
    assert rendered.subject
    assert "rue de la Paix" in rendered.body
    assert "05 49 00 00 00" in rendered.body
    assert "An identity document" in rendered.body
    assert "https://rdv.example.test/rdv/" in rendered.body


def test_french_sms_is_written_in_french_with_the_date_in_words(app: Flask) -> None:
    row = sf.appointment(factories.user(), "2026-12-08 14:30", help_point=factories.help_point())
    text = render("reminder", row, "sms", "fr").body
    assert "mar. 8 déc. à 14h30" in text
    assert "répondez ANNULER" in text


@pytest.mark.parametrize("language", ["ar", "xx-nonsense", ""])
def test_a_language_without_catalog_gets_the_default_language(app: Flask, language: str) -> None:
    row = sf.appointment(factories.user(), "2026-12-08 14:30", help_point=factories.help_point())
    text = render("reminder", row, "sms", language).body
    assert text == render("reminder", row, "sms", "fr").body
    _assert_one_gsm7_segment(text, language)


def test_a_change_without_the_former_time_reads_as_a_confirmation(app: Flask) -> None:
    row = sf.appointment(factories.user(), "2026-12-01 09:00", help_point=factories.help_point())
    assert render("change", row, "sms", "en") == render("confirmation", row, "sms", "en")
