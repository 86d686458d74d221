"""GSM-7 and UCS-2 counting of SMS text, and transliteration to the GSM-7 alphabet.

Source: 3GPP TS 23.038, section 6.2.1 (the GSM 7-bit default alphabet and its extension table).
A message whose characters are all in the default alphabet is sent in GSM-7: 160 characters in one
segment, 153 a segment once split (the user data header takes 7); a character of the extension
table (`^ { } [ ] ~ \\ | €` and form feed) is sent as ESC + character and counts 2. One character
outside both tables turns the whole message into UCS-2: 70 UTF-16 code units in one segment, 67 a
segment once split (an emoji, outside the basic plane, counts 2).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

#: The GSM 7-bit default alphabet (3GPP TS 23.038, table 6.2.1), ESC (0x1B) left out.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table (3GPP TS 23.038, table 6.2.1.1): each is sent as ESC + character (2 septets).
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

#: Common characters outside GSM-7 and their closest GSM-7 writing (DESIGN.md section 6: ç→c, â→a, ’→').
_TRANSLITERATION = {
    "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ç": "c", "œ": "oe", "ë": "e", "ï": "i", "ÿ": "y",
    "Â": "A", "Ê": "E", "Î": "I", "Ô": "O", "Û": "U", "Œ": "OE", "Ë": "E", "Ï": "I", "Ÿ": "Y",
    "À": "A", "È": "E", "Ì": "I", "Ò": "O", "Ù": "U", "á": "a", "í": "i", "ó": "o", "ú": "u",
    "’": "'", "‘": "'", "‚": "'", "ʼ": "'", "´": "'", "`": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
    "…": "...", "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "•": "-", "·": ".", "°": "o",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " ",
}
#: Extension characters replaced too when a text must count exactly one septet per character.
_EXTENSION_TO_BASIC = {"[": "(", "]": ")", "{": "(", "}": ")", "~": "-", "|": "/", "\\": "/", "^": "",
                       "€": "EUR", "\f": " "}


@dataclass(frozen=True)
class Encoding:
    """How an SMS text is sent: `encoding` "GSM-7" or "UCS-2"; `characters` as counted by the network
    (GSM-7: extension characters count 2; UCS-2: UTF-16 code units); `segments` (0 for an empty text);
    `non_gsm` the distinct characters outside GSM-7, in order of appearance."""

    encoding: str
    characters: int
    segments: int
    non_gsm: tuple[str, ...]

    @property
    def is_gsm7(self) -> bool:
        """True when the text is sent in GSM-7."""
        return self.encoding == "GSM-7"


def sms_encoding(text: str) -> Encoding:
    """The encoding, character count and segment count of `text` (3GPP TS 23.038; single segment
    160 GSM-7 / 70 UCS-2, concatenated 153 / 67 a segment)."""
    non_gsm = tuple(dict.fromkeys(char for char in text if char not in GSM7_BASIC and char not in GSM7_EXTENSION))
    if non_gsm:
        units = len(text.encode("utf-16-le")) // 2
        return Encoding("UCS-2", units, _segments(units, 70, 67), non_gsm)
    septets = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
    return Encoding("GSM-7", septets, _segments(septets, 160, 153), ())


def _segments(count: int, single: int, concatenated: int) -> int:
    if count == 0:
        return 0
    return 1 if count <= single else math.ceil(count / concatenated)


def gsm7_transliterate(text: str, *, basic_only: bool = False) -> str:
    """`text` written with GSM-7 characters only: known characters mapped (â→a, ç→c, œ→oe, ’→',
    «»→", …→...), other accented letters stripped of their accent, anything else left becomes "?".
    With `basic_only`, extension characters are replaced too (€→EUR, [→(…) so that each character
    counts one septet. é è ù ì ò à É Ç stay: they are in the default alphabet."""
    out = []
    for char in text:
        if char in GSM7_BASIC or (char in GSM7_EXTENSION and not basic_only):
            out.append(char)
        elif char in GSM7_EXTENSION:
            out.append(_EXTENSION_TO_BASIC[char])
        else:
            out.append(_fallback(char))
    return "".join(out)


def _fallback(char: str) -> str:
    if char in _TRANSLITERATION:
        return _TRANSLITERATION[char]
    stripped = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if stripped and all(c in GSM7_BASIC for c in stripped):
        return stripped
    return "" if unicodedata.category(char).startswith(("M", "C")) else "?"


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary when one is close, ending with
    "..." when cut ("" when `limit` < 4)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit < 4:
        return ""
    cut = text[: limit - 3]
    space = cut.rfind(" ")
    if space >= (limit - 3) * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,.-") + "..."
