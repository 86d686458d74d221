"""Phone numbers: parse any usual French writing into E.164 (DESIGN.md section 6).

Rules, from `phonenumbers` (Google's libphonenumber metadata):

- a number written with its country code (`+33…`, `0033…`, `+262…`) is read as such;
- a national number (`06 12 34 56 78`, `0639 01 23 45`) is tried with region FR first, then with the
  overseas regions in `OVERSEAS_REGIONS` order, and the first *valid* parse wins. `0639 01 23 45`
  is not a valid FR number but is a valid Mayotte one: `+262639012345`;
- spaces, dots, dashes, brackets and a `tel:` prefix are ignored.

Never log a phone number (STYLE.md): this module logs nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType

logger = logging.getLogger(__name__)

#: Regions tried, in order, for a number written without its country code.
#: FR first, then the overseas departments and collectivities with their own dialling codes
#: (GP also covers Saint-Barthélemy and Saint-Martin, which share +590).
HOME_REGION = "FR"
OVERSEAS_REGIONS: tuple[str, ...] = ("GP", "GF", "MQ", "RE", "YT", "PM", "NC", "PF", "WF")
REGIONS: tuple[str, ...] = (HOME_REGION, *OVERSEAS_REGIONS)
#: Regions whose numbers are written in the French national format (0 + 9 digits): metropolitan
#: France and the overseas departments (ARCEP numbering plan). Saint-Pierre-et-Miquelon, New
#: Caledonia, French Polynesia and Wallis-et-Futuna have plans of their own: their numbers are
#: understood with their country code (+508, +687, +689, +681) only, so that a truncated French
#: number is never read as one of them.
NATIONAL_PLAN_REGIONS: tuple[str, ...] = (HOME_REGION, "GP", "GF", "MQ", "RE", "YT")

#: Longest input considered (characters); anything longer is not a phone number.
MAX_INPUT_LENGTH = 40

_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_PREFIX_RE = re.compile(r"^\s*(?:tel|tél|phone)\s*[:.]?\s*", re.IGNORECASE)


class InvalidPhone(ValueError):
    """The text is not a valid phone number in France, overseas France, or with a country code."""


@dataclass(frozen=True)
class PhoneInfo:
    """A parsed phone number.

    - `e164`: the number in E.164 (`+33612345678`), the form stored everywhere;
    - `is_mobile`: True when the number can receive SMS (libphonenumber type MOBILE, or
      FIXED_LINE_OR_MOBILE where the numbering plan cannot tell);
    - `region`: ISO 3166-1 alpha-2 region of the number (`FR`, `YT`, `RE`…).
    """

    e164: str
    is_mobile: bool
    region: str


def _clean(text: str) -> str:
    """Strip a `tel:` prefix and surrounding blanks; raise InvalidPhone on empty or huge input."""
    cleaned = _PREFIX_RE.sub("", text or "").strip()
    if not cleaned or len(cleaned) > MAX_INPUT_LENGTH:
        raise InvalidPhone("not a phone number")
    return cleaned


def _valid_parses(cleaned: str, first_only: bool = False) -> list[PhoneNumber]:
    """Valid parses of `cleaned` over `REGIONS`, in region order (duplicates removed); only the
    first one with `first_only`. A number with its country code (`+…`, `00…`) is parsed once."""
    found: list[PhoneNumber] = []
    regions = REGIONS[:1] if cleaned.startswith(("+", "00")) else NATIONAL_PLAN_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(cleaned, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number) and number not in found:
            found.append(number)
            if first_only:
                break
    return found


def _info(number: PhoneNumber) -> PhoneInfo:
    return PhoneInfo(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        is_mobile=phonenumbers.number_type(number) in _MOBILE_TYPES,
        region=phonenumbers.region_code_for_number(number) or "",
    )


def parse_phone(text: str) -> PhoneInfo:
    """Parse `text` (any usual writing) into a `PhoneInfo` with its E.164 form.

    Tries region FR, then the overseas regions (`OVERSEAS_REGIONS`), keeping the first valid parse:
    `"06 12 34 56 78"` → `+33612345678`; `"0639 01 23 45"` → `+262639012345` (Mayotte);
    `"0033 6 12 34 56 78"` and `"+33 (0)6 12 34 56 78"` → `+33612345678`. A number with an explicit
    foreign country code (`+32…`) is accepted when valid.

    Raises `InvalidPhone` (a ValueError) when no valid parse exists. Source: libphonenumber metadata.
    """
    parses = _valid_parses(_clean(text), first_only=True)
    if not parses:
        raise InvalidPhone("not a valid phone number")
    return _info(parses[0])


def phone_search_variants(text: str) -> list[str]:
    """E.164 numbers that `text` may denote, most likely first; `[]` when it denotes none.

    For finding a resident by a phone typed in any writing (stored phones are E.164, so an exact
    match on these strings is enough). Unlike `parse_phone`, every valid parse across FR and the
    overseas regions is kept, and nine digits without the leading zero (`612345678`) are also read
    as a national number. Never raises.
    """
    try:
        cleaned = _clean(text)
    except InvalidPhone:
        return []
    candidates = [cleaned]
    digits = re.sub(r"\D", "", cleaned)
    if len(digits) == 9 and not cleaned.lstrip().startswith("+"):
        candidates.append("0" + digits)
    variants: list[str] = []
    for candidate in candidates:
        for number in _valid_parses(candidate):
            e164 = _info(number).e164
            if e164 not in variants:
                variants.append(e164)
    return variants
