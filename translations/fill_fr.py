"""Fill untranslated French messages from JSON files of {msgid: french} (a maintenance helper).

    .venv/bin/python translations/fill_fr.py FILE.json [FILE.json …]

For a plural message, the key is the singular msgid and the value [singular, plural]; the plural
is repeated over French's extra CLDR form. Existing translations are kept. Prints what is still
untranslated; then run `make translations`.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).parent / "fr" / "LC_MESSAGES" / "messages.po"


def main(files: list[str]) -> None:
    """Fill the French catalog from `files` and print the msgids still missing."""
    french: dict[str, object] = {}
    for name in files:
        french.update(json.loads(Path(name).read_text(encoding="utf-8")))
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    missing = []
    for message in catalog:
        if message.id:
            if not fill(message, french, catalog.num_plurals):
                missing.append(message.id)
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True)
    print("still untranslated:", missing)


def fill(message, french, num_plurals):  # noqa: ANN001, ANN201
    """Translate one message when a value is known; True when it is translated afterwards."""
    key = message.id[0] if isinstance(message.id, tuple) else message.id
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if all(strings) and "fuzzy" not in message.flags:
        return True
    if key not in french:
        return False
    value = french[key]
    if isinstance(message.id, tuple):
        forms = value if isinstance(value, list) else [value, value]
        message.string = (forms[0],) + (forms[1],) * (num_plurals - 1)
    else:
        message.string = value[0] if isinstance(value, list) else value
    message.flags.discard("fuzzy")
    return True


if __name__ == "__main__":
    main(sys.argv[1:])
