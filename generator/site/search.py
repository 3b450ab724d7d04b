"""Search without diacritics: give Material's lunr index a folded copy of every document.

People often type Vietnamese without its marks ("thong bao tiem chung"), and lunr with
`lang: vi` matches words exactly, so such a query found nothing. After the build, each
document of `search/search_index.json` gains two extra fields, `title_ascii` and
`text_ascii`: the words of its title and text with diacritics folded away
(`generator.text.fold`), and the index config declares them with the boosts of `title`
and `text`. Material's search worker indexes every field the config declares but renders
only `title` and `text`, so results stay as written, marks and all, while a query with,
without or with half its marks finds the page.

Only words that change when folded are stored, once each, to keep the index small (it is
downloaded on every first visit).
"""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path
from typing import Any

from generator.text import fold

INDEX = Path("search") / "search_index.json"
FOLDED_FIELDS = {"title": "title_ascii", "text": "text_ascii"}

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=1024)  # the live preview folds the same pages on every save
def folded_words(markup: str) -> str:
    """The distinct words of `markup` whose folded form differs: 'Thông báo số 5' -> 'thong bao'."""
    text = html.unescape(_TAG.sub(" ", markup))
    seen: dict[str, None] = {}
    for word in dict.fromkeys(_WORD.findall(text.lower())):  # each distinct word once
        plain = _fold_word(word)
        if plain != word:
            seen.setdefault(plain, None)
    return " ".join(seen)


@functools.lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    # Vietnamese has a few thousand distinct syllables: fold each once per process.
    return fold(word)


def fold_search_index(site_dir: Path) -> None:
    """Add folded fields to a built site's search index; a site without one is left as is."""
    path = site_dir / INDEX
    if not path.is_file():
        return
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    fields: dict[str, Any] = data.setdefault("config", {}).setdefault("fields", {})
    for source, target in FOLDED_FIELDS.items():
        fields[target] = dict(fields.get(source) or {"boost": 1.0})
    for doc in data.get("docs", []):
        for source, target in FOLDED_FIELDS.items():
            doc[target] = folded_words(str(doc.get(source) or ""))
    # Compact and key-sorted like MkDocs writes it: the same input gives the same bytes.
    path.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")), encoding="utf-8")
