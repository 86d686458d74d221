"""Text helpers shared by features."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case, accents removed, every run of non-alphanumerics turned into one space.

    `"Hélène  D'Arc"` → `"helene d arc"`: used to compare and search names whatever the accents.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", stripped.lower()).split())
