"""Spotting Vietnamese text typed with a legacy encoding (TCVN3/ABC, VNI) or double-encoded.

Files that are not UTF-8 at all are refused when read (`source.read_text`). What reaches
here is valid UTF-8 that still looks wrong to a reader: text typed with a TCVN3 font
(".VnTime": "Th«ng b¸o") or a VNI font ("Thoâng baùo") and pasted as Unicode, or UTF-8
read once as Windows-1252 ("ThÃ´ng bÃ¡o"). The fix is always the same: convert the text
with Unikey's converter (Công cụ chuyển mã) to Unicode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Latin-1 letters that no Vietnamese word uses but TCVN3 and VNI fonts put inside words.
_FOREIGN_LETTERS = "äåæçëîïñöøûüÿÄÅÆÇËÎÏÑÖØÛÜ"
# Symbols TCVN3 maps to Vietnamese letters ("©" is â, "¸" is á, "­" soft hyphen is ư...):
# suspicious only between two letters, where no real text has them.
_TCVN3_SYMBOLS = "¡¢£¤¥¦§¨©ª«¬\u00ad®¯°±²³´µ¶·¸¹º»¼½¾¿×÷"
_LETTER = r"[A-Za-zÀ-ỹ]"
# VNI writes a base vowel then a mark letter: "aâ" (â), "oâ" (ô), "aù" (á), "aõ" (ã).
_VNI_PAIRS = r"[aeoAEO][âêôÂÊÔ]|[aeiouyAEIOUY][ùõÙÕ]"
_IN_WORD = re.compile(
    rf"(?<={_LETTER})[{_FOREIGN_LETTERS}]|(?<={_LETTER})[{_TCVN3_SYMBOLS}](?={_LETTER})"
    rf"|{_VNI_PAIRS}"
)
# UTF-8 bytes of Vietnamese letters decoded as Windows-1252: "Ã´" (ô), "Ä‘" (đ), "á»" ...
_DOUBLE_ENCODED = re.compile(r"Ã[\u0080-\u00bf\u2018-\u203a\u0152-\u0178]|Ä[‘’]|Æ°|á[»º]")

# Two hits make a finding: one foreign letter alone is usually a foreign name ("Müller").
MIN_HITS = 2


@dataclass(frozen=True)
class LegacyText:
    """Where a text first looks mis-encoded, and a sample of it."""

    line: int  # 1-based, within the text examined
    sample: str
    kind: str  # "tcvn3-vni" | "double-utf8"


def find_legacy(text: str) -> LegacyText | None:
    """The first sign of mis-encoded Vietnamese in `text`, or None when it reads fine."""
    hits = 0
    first: LegacyText | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        for pattern, kind in ((_DOUBLE_ENCODED, "double-utf8"), (_IN_WORD, "tcvn3-vni")):
            found = pattern.findall(line)
            if found and first is None:
                first = LegacyText(number, _sample(line, pattern), kind)
            hits += len(found)
    return first if hits >= MIN_HITS else None


def _sample(line: str, pattern: re.Pattern[str]) -> str:
    match = pattern.search(line)
    assert match is not None
    start = max(0, match.start() - 15)
    return line[start : match.end() + 15].strip()
