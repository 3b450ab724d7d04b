"""Property-based tests (Hypothesis): any input gives a result or congxa's own error.

The loaders of front matter and commune files, the YAML reader, the Markdown limits and the
slug and URL helpers are fed arbitrary text, and text shaped like what they expect with
hostile pieces mixed in. Each call must return, or raise a CongxaError subclass (which the
CLI prints as file, line and fix), never another exception, and within a time bound (the
deadline). Examples are few and small so the suite stays quick.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import CongxaError
from generator.site.urls import relative
from generator.source.commune import load_unit
from generator.source.files import parse_yaml
from generator.source.markdown_limits import markdown_problems
from generator.source.posts import load_post
from generator.source.project import Project
from generator.source.siteurl import normalise_site_url, site_host
from generator.text import fold, slugify
from tests.conftest import UNIT_YML

REPO = Path(__file__).resolve().parents[1]
PROJECT = Project.discover(REPO)
FAST = settings(
    max_examples=60,
    deadline=5000,  # a bound, generous for a loaded CI machine; real calls take milliseconds
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)

# Pieces that mean something to YAML, Markdown, HTML, URLs or the terminal.
PIECES = [
    "---",
    "\n",
    ": ",
    "- ",
    "  ",
    "&a ",
    "*a",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    '"',
    "'",
    "#",
    "|",
    "!!binary ",
    "!!python/object ",
    "<<: *a",
    "\t",
    "\x00",
    "\x1b",
    "\ufffe",
    "\u2028",
    "title",
    "date",
    "2026-11-20",
    "9999-12-31",
    "0001-01-01",
    "99999999999999999999999999999999999999",
    "attachments",
    "document",
    "essential",
    "slug",
    "../../etc/passwd",
    "Tiêu đề tiếng Việt",
    "Đ",
    "\u0301",
    "https://",
    "javascript:",
]
hostile_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40).map(
    "".join
)
any_text = st.one_of(st.text(max_size=300), hostile_text)
FRONT_KEYS = ["title", "date", "summary", "draft", "slug", "id", "attachments", "document"]


@st.composite
def post_texts(draw: st.DrawFn) -> str:
    """A post: front matter of known keys with arbitrary values, then an arbitrary body."""
    lines = [
        f"{key}: {draw(hostile_text)}"
        for key in draw(st.lists(st.sampled_from(FRONT_KEYS), max_size=6))
    ]
    return "---\n" + "\n".join(lines) + "\n---\n" + draw(any_text)


@st.composite
def commune_texts(draw: st.DrawFn) -> str:
    """The example commune file with some of its lines replaced by arbitrary text."""
    lines = UNIT_YML.split("\n")
    for _ in range(draw(st.integers(0, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        key = lines[index].split(":", 1)[0]
        lines[index] = f"{key}: {draw(hostile_text)}" if ":" in lines[index] else draw(any_text)
    return "\n".join(lines) + draw(st.sampled_from(["", "\nleaders: [", "\nlinks:\n  - *x"]))


def _scratch() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="congxa-props-"))
    (folder / "content" / "thong-bao").mkdir(parents=True)
    (folder / "communes" / "ha_noi").mkdir(parents=True)
    return folder


SCRATCH = _scratch()


@FAST
@given(st.one_of(post_texts(), any_text))
def test_front_matter_loader_returns_or_raises_its_own_error(text: str) -> None:
    path = SCRATCH / "content" / "thong-bao" / "bai.md"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_post(path, SCRATCH / "content", PROJECT.profile)
    except CongxaError as exc:
        assert exc.problems and all(p.file == path for p in exc.problems)


@FAST
@given(st.one_of(commune_texts(), any_text))
def test_commune_loader_returns_or_raises_its_own_error(text: str) -> None:
    path = SCRATCH / "communes" / "ha_noi" / "phuong_hoan_kiem.yml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        unit = load_unit(path, PROJECT.registry)
    except CongxaError as exc:
        assert exc.problems
    else:
        assert normalise_site_url(unit.site_url) == unit.site_url


@FAST
@given(any_text)
def test_yaml_reader_returns_or_raises_its_own_error(text: str) -> None:
    try:
        parse_yaml(text, Path("x.yml"))
    except CongxaError:
        pass


@FAST
@given(any_text)
def test_markdown_limits_always_answer(text: str) -> None:
    for problem in markdown_problems(text, Path("x.md"), 3):
        assert problem.line is not None and 3 <= problem.line <= text.count("\n") + 3


@FAST
@given(any_text)
def test_slugs_are_plain_ascii_and_stable(text: str) -> None:
    slug = slugify(text)
    assert slug == slug.strip("-")
    assert all(ch in "abcdefghijklmnopqrstuvwxyz0123456789-" for ch in slug)
    assert slugify(slug) == slug
    assert fold(fold(text)) == fold(text)


@FAST
@given(st.one_of(any_text, st.builds(lambda t: "https://" + t, any_text)))
def test_site_url_is_strict_and_normalised(text: str) -> None:
    normalised = normalise_site_url(text)
    if normalised is None:
        assert site_host(text) is None
        return
    assert normalise_site_url(normalised) == normalised
    assert normalised.startswith("https://") and normalised.endswith("/")
    assert not any(ch.isspace() or not ch.isprintable() for ch in normalised)
    assert not set(normalised) & set("\"'<>`{}|\\^;?#@ ")
    host = site_host(normalised)
    assert host and host == host.lower()


SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=8)
SITE_PATH = st.lists(SEGMENT, max_size=4).map(lambda parts: "/".join(parts))


@FAST
@given(SITE_PATH, SITE_PATH, st.booleans(), st.booleans())
def test_relative_links_resolve_to_their_target(
    here: str, there: str, here_dir: bool, there_dir: bool
) -> None:
    import posixpath

    here = here + "/" if here and here_dir else here
    there = there + "/" if there and there_dir else there
    link = relative(here, there)
    base = posixpath.dirname("/" + (here.rstrip("/") + "/x" if here else "x"))
    resolved = posixpath.normpath(posixpath.join(base, link))
    assert resolved == posixpath.normpath("/" + there)
