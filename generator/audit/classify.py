"""Rules that turn what was fetched into a unit's status and quality flags. No I/O here.

Nothing the law or the profile owns is written here: the sections come from the section
profile (`generator.profile`), and the phrases that recognise them on other sites, the type
words and the default-page phrases are data in `generator/data/audit.yml`; both are read
by `audit_profile()` only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from generator.audit.activity import ManifestActivity, manifest_activity
from generator.audit.page import PageSummary, parse_date
from generator.errors import AuditError, ConfigError, Problem
from generator.source.profile import load_profile
from generator.source.registry import RegistryUnit
from generator.text import fold, slugify

_NON_WORD = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class AuditSection:
    id: str
    title: str
    phrases: tuple[str, ...]  # folded phrases that recognise it on any site


@dataclass(frozen=True)
class AuditProfile:
    """What a conformant page shows, and how pages name their unit."""

    id: str
    sections: tuple[AuditSection, ...]
    type_words: tuple[str, ...]
    markers: tuple[tuple[str, str], ...]  # (folded phrase, reason)


@lru_cache(maxsize=1)
def audit_profile() -> AuditProfile:
    """The sections a unit must fill (from the section profile) and the naming rules.

    The sections are the profile's required ones that hold content; the generated ones
    (essential information, English page) are left out, as congxa makes them itself.
    """
    source = resources.files("generator.data").joinpath("audit.yml")
    try:
        profile = load_profile()
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        phrases: dict[str, list[str]] = data["section_phrases"]
        return AuditProfile(
            id=profile.id,
            sections=tuple(
                AuditSection(s.id, s.title, _phrases(s.title, phrases.get(s.id) or []))
                for s in profile.post_sections()
                if s.required
            ),
            type_words=tuple(_words(w) for w in data["type_words"]),
            markers=tuple(
                (_words(m["phrase"]), str(m["reason"])) for m in data["not_unit_markers"]
            ),
        )
    except ConfigError as exc:
        raise AuditError(exc.problems) from exc
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise AuditError(
            Problem(
                f"Tệp cấu hình kiểm tra hỏng (broken audit settings): {exc}.",
                file=Path("generator/data/audit.yml"),
                hint="cài lại congxa; generator/data/audit.yml phải đọc được.",
            )
        ) from exc


def _phrases(title: str, extra: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_words(p) for p in (title, *extra) if _words(p)))


@lru_cache(maxsize=8192)
def _words(text: str) -> str:
    """Folded text with punctuation turned into single spaces, for whole-word matching.

    Cached: menus repeat the same texts on thousands of sites.
    """
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def core_name(unit: RegistryUnit) -> str:
    """The unit's name without its type word: 'Phường Hoàn Kiếm' -> 'hoan kiem'."""
    name = _words(unit.name)
    unit_type = _words(unit.type)
    if unit_type and name.startswith(unit_type + " "):
        return name[len(unit_type) + 1 :]
    return name


def names_unit(unit: RegistryUnit, texts: tuple[str, ...], profile: AuditProfile) -> bool:
    """True when a text names the unit: its core name, as whole words, after a type word.

    "UBND xã X", "Phường X", "xa X" all name unit "Xã X"; a bare "X" does not, because
    many places share a core name with a street or another unit.
    """
    core = core_name(unit)
    if not core:
        return False
    # Folded texts are single-spaced words: whole-word search is a padded substring search.
    needles = [f" {word} {core} " for word in profile.type_words]
    for text in texts:
        if text:
            padded = f" {_words(text)} "
            if any(needle in padded for needle in needles):
                return True
    return False


def not_unit_reason(page: PageSummary, unit: RegistryUnit, profile: AuditProfile) -> str:
    """Why a page that answered is not this unit's, for people reading the report."""
    shown = " ".join(page.naming_texts())
    folded = _words(shown)
    for phrase, reason in profile.markers:
        if phrase and phrase in folded:
            return reason
    title = page.title or (page.headings[0] if page.headings else "")
    if not title:
        return f"page has no title or heading naming {unit.name}"
    return f"title {title[:120]!r} does not name {unit.name}"


def html_missing_sections(page: PageSummary, profile: AuditProfile) -> tuple[str, ...]:
    """Profile sections that no link or heading of the page shows (by phrase or URL slug)."""
    texts = [_words(link.text) for link in page.links] + [_words(h) for h in page.headings]
    # Texts are joined by " | ": a phrase (words only) never spans two of them.
    haystack = " " + " | ".join(texts) + " "
    hrefs = " ".join(link.href.lower() for link in page.links)
    missing = []
    for section, href_pattern in _section_matchers(profile):
        in_text = any(f" {phrase} " in haystack for phrase in section.phrases)
        if not (in_text or href_pattern.search(hrefs)):
            missing.append(section.id)
    return tuple(missing)


@lru_cache(maxsize=4)
def _section_matchers(profile: AuditProfile) -> tuple[tuple[AuditSection, re.Pattern[str]], ...]:
    """Each section with one pattern for its URL slugs (`/slug/`, `/slug.html`, `/slug?`)."""
    matchers = []
    for section in profile.sections:
        slugs = sorted({section.id, *(slugify(p) for p in section.phrases)} - {""})
        alternatives = "|".join(re.escape(slug) for slug in slugs)
        matchers.append((section, re.compile(rf"/(?:{alternatives})(?:[/.?#]|$| )")))
    return tuple(matchers)


@dataclass(frozen=True)
class Manifest:
    """The parts of a congxa `site.json` that the audit reads."""

    code: str
    updated: datetime | None
    section_ids: tuple[str, ...]
    missing: tuple[str, ...]
    profile: str
    activity: ManifestActivity | None = None


def parse_manifest(body: bytes) -> Manifest | None:
    """A congxa-site manifest, or None when the body is not one (never raises).

    The body is capped by the crawler (2 MB); nesting deeper than MAX_JSON_DEPTH is refused
    before parsing, so a hostile manifest cannot exhaust the stack.
    """
    if len(body) > MAX_MANIFEST_BYTES or _json_depth(body) > MAX_JSON_DEPTH:
        return None
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("congxa-site/"):
        return None
    sections = _list(data.get("sections"))
    conformance = data.get("conformance")
    conformance = conformance if isinstance(conformance, dict) else {}
    return Manifest(
        code=_text(data.get("code", "")),
        updated=parse_date(_text(data.get("updated") or "")),
        section_ids=tuple(_text(s.get("id")) for s in sections if isinstance(s, dict)),
        missing=tuple(_text(m) for m in _list(conformance.get("missing"))),
        profile=_text(conformance.get("profile", "")),
        activity=manifest_activity(data),
    )


MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_JSON_DEPTH = 64  # a congxa manifest nests 3 levels


def _json_depth(body: bytes) -> int:
    """The deepest bracket nesting of a JSON text, strings skipped (linear, no parsing)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _text(value: Any) -> str:
    """A scalar of the manifest as text; containers (never expected there) as ""."""
    return "" if isinstance(value, dict | list) else str(value)[:200]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def manifest_missing_sections(manifest: Manifest, profile: AuditProfile) -> tuple[str, ...]:
    """Sections the manifest declares missing, plus profile sections it does not list."""
    listed = set(manifest.section_ids)
    absent = [s.id for s in profile.sections if s.id not in listed]
    return tuple(dict.fromkeys([*manifest.missing, *absent]))


def is_stale(newest: datetime | None, now: datetime, stale_days: int) -> bool | None:
    """Stale when the newest item is older than `stale_days`; None when no date is known."""
    if newest is None:
        return None
    return now - newest > timedelta(days=stale_days)


def manifest_url(page_url: str) -> str:
    """Where a congxa site keeps `site.json`: beside its home page (`<site_url>site.json`)."""
    parts = urlsplit(page_url)
    path = parts.path or "/"
    if not path.endswith("/"):
        last = path.rsplit("/", 1)[-1]
        # ".../index.html" sits in its folder; ".../phuong-a" is a folder without its slash.
        path = path.rsplit("/", 1)[0] + "/" if "." in last else path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path + "site.json", "", ""))
