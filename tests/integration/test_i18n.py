"""French by default, English on request, and complete catalogs."""

import subprocess

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import csrf_token_from


def test_pages_are_in_french_by_default_whatever_the_browser_asks(client):
    response = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Connexion des professionnels" in html


def test_language_switch_turns_pages_english_and_back(client):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/language", data={"language": "en", "next": "/login", "csrf_token": token})
    assert response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Staff login" in html
    token = csrf_token_from(html)
    client.post("/language", data={"language": "fr", "next": "/login", "csrf_token": token})
    assert "Connexion des professionnels" in client.get("/login").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_foreign_next(client):
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post("/language", data={"language": "xx", "next": "https://evil.example/", "csrf_token": token})
    assert response.headers["Location"] == "/"
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)


def test_english_error_pages(client):
    client.set_cookie("lang", "en")
    assert "Page not found" in client.get("/nowhere").get_data(as_text=True)
    client.set_cookie("lang", "fr")
    assert "Page introuvable" in client.get("/nowhere").get_data(as_text=True)


def test_every_message_of_the_templates_and_code_has_a_french_translation(repo_root, tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(  # noqa: S603 (fixed arguments)
        [str(repo_root / ".venv/bin/pybabel"), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "-o", str(pot), "inclusion_app"],
        cwd=repo_root, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        extracted = {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(handle) if m.id}
    with (repo_root / "translations/fr/LC_MESSAGES/messages.po").open("rb") as handle:
        french = {(m.id if isinstance(m.id, str) else m.id[0]): m for m in read_po(handle) if m.id}
    missing = sorted(msgid for msgid in extracted if msgid not in french or not _translated(french[msgid]))
    assert missing == [], "untranslated in fr (run make translations-update and translate): " + repr(missing[:10])


def test_compiled_french_catalog_matches_its_source(repo_root):
    with (repo_root / "translations/fr/LC_MESSAGES/messages.po").open("rb") as handle:
        source = {_key(m.id): _key(m.string) for m in read_po(handle) if m.id}
    with (repo_root / "translations/fr/LC_MESSAGES/messages.mo").open("rb") as handle:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    assert compiled == source, "translations/fr/…/messages.mo is stale: run make translations"


def _translated(message):
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and "fuzzy" not in message.flags


def _key(value):
    return tuple(value) if isinstance(value, list | tuple) else value
