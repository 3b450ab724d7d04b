"""Vietnamese text helpers: NFC normalisation, diacritic folding and slugs."""

from __future__ import annotations

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def nfc(text: str) -> str:
    """Word processors emit both NFC and NFD; congxa keeps NFC everywhere (TCVN 6909:2001)."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case and drop diacritics: 'Đường Hoàn Kiếm' -> 'duong hoan kiem'."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.lower().split())


def slugify(text: str, sep: str = "-") -> str:
    """A URL slug without diacritics: 'Thông báo tiêm chủng đợt 2' -> 'thong-bao-tiem-chung-dot-2'."""
    return _NON_SLUG.sub(sep, fold(text)).strip(sep)
