"""Markdown that would take Python-Markdown minutes, or its whole stack, is refused early.

Python-Markdown is fast on real posts but has inputs whose cost grows with the square of
their length, or whose nesting exhausts Python's recursion limit; each is measured here in
one linear pass, so `check` and `build` refuse it with file and line instead of hanging a
worker or raising RecursionError:

- Brackets. For every `[` (links, images, footnotes), the link patterns scan forward to the
  matching `]`, and to the end of the paragraph when there is none
  (`markdown.inlinepatterns.LinkInlineProcessor.getText`): one line of 20,000 `[` is
  20,000 scans of 20,000 characters, several times over. The work is the sum, over the
  characters of a paragraph, of the number of brackets open there.
- Tag starts. For every `<` followed by a letter, the raw-HTML parser
  (`html.parser.HTMLParser.check_for_whole_start_tag`) scans forward to the next `>`.
- Nesting. Lists, quotes and emphasis are parsed recursively: several hundred list markers
  on one line, or a run of a few thousand `*` or `_`, raise RecursionError.
- Definition lists: each `:` line of one block re-reads the block.
- Nested raw HTML (`<div>` or `<em>` thousands deep): the sanitiser's HTML parser and
  Markdown's inline patterns both slow down with the square of the depth.

The limits are far above anything a post needs (the figures in the docstrings of the
constants) and far below what costs a second.
"""

from __future__ import annotations

import re
from pathlib import Path

from generator.errors import Problem

# Brackets open, summed over the characters of one paragraph: a link text of 200
# characters costs 200; 20,000 unclosed `[` cost 200 million. About 0.3 s at the limit.
MAX_BRACKET_WORK = 400_000
# Characters scanned from each tag start to its `>`, over the whole text: a post with 500
# tags of 100 characters costs 50,000. About 0.5 s at the limit.
MAX_TAG_WORK = 10_000_000
# Containers (list items, quotes, 4-column indents) before a line's text.
MAX_NESTING = 32
# Consecutive `*` or `_`: emphasis nests once per pair.
MAX_EMPHASIS_RUN = 200
# `: definition` lines in one block.
MAX_DEFINITIONS = 300
# Raw HTML elements open inside one another (tables in lists in quotes stay under 20).
MAX_HTML_DEPTH = 100

_CONTAINER = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)]|>)(?=[ \t]|$)[ \t]?")
_EMPHASIS_RUN = re.compile(rf"\*{{{MAX_EMPHASIS_RUN + 1},}}|_{{{MAX_EMPHASIS_RUN + 1},}}")
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_BRACKET_EVENT = re.compile(r"\\.|\[|\]")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^>]*)>")
# Elements that never hold others, or whose end tag HTML lets a writer leave out.
_FLAT = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "caption",
        "option",
        "optgroup",
        "rt",
        "rp",
    ]
)
_DEFINITION = re.compile(r"[ \t]{0,3}:[ \t]")


def markdown_problems(
    text: str, path: Path, first_line: int = 1, field: str | None = None
) -> list[Problem]:
    """Problems of `text` (Markdown whose first line is line `first_line` of `path`)."""
    problems: list[Problem] = []

    def problem(line: int, message: str, hint: str) -> None:
        problems.append(
            Problem(
                message + " Trang không dựng được nội dung như vậy trong thời gian hợp lý.",
                file=path,
                line=first_line + line,
                field=field,
                hint=hint,
            )
        )

    lines = text.split("\n")
    bracket_line = _bracket_overflow(lines)
    if bracket_line is not None:
        problem(
            bracket_line,
            "Đoạn văn có quá nhiều dấu `[` chưa đóng hoặc lồng nhau (too many unclosed or "
            "nested brackets).",
            "đóng mỗi `[` bằng `]`, hoặc viết `\\[` nếu chỉ muốn hiện dấu ngoặc vuông.",
        )
    tag_line = _tag_overflow(text)
    if tag_line is not None:
        problem(
            tag_line,
            "Văn bản có quá nhiều dấu `<` mở thẻ mà không đóng bằng `>` (too many unclosed tags).",
            "viết `&lt;` thay cho dấu `<` đứng một mình.",
        )
    else:
        depth_line = _html_depth_overflow(text)
        if depth_line is not None:
            problem(
                depth_line,
                f"HTML trong bài lồng quá {MAX_HTML_DEPTH} cấp (nested HTML too deep).",
                "bớt các thẻ lồng nhau; nếu chép từ Word, hãy dán dưới dạng chữ thường.",
            )
    definitions = 0
    for number, line in enumerate(lines):
        nesting = _nesting(line)
        if nesting > MAX_NESTING:
            problem(
                number,
                f"Dòng lồng quá {MAX_NESTING} cấp danh sách, trích dẫn hoặc thụt lề (nesting "
                "too deep).",
                "bớt các dấu `-`, `>`, `1.` hoặc khoảng trắng ở đầu dòng.",
            )
            break
        if _EMPHASIS_RUN.search(line):
            problem(
                number,
                f"Dòng có hơn {MAX_EMPHASIS_RUN} dấu `*` hoặc `_` liền nhau (emphasis run too "
                "long).",
                "dùng ít dấu hơn, hoặc đặt đoạn đó trong cặp dấu ` (code).",
            )
            break
        if not line.strip():
            definitions = 0
        elif _DEFINITION.match(line):
            definitions += 1
            if definitions > MAX_DEFINITIONS:
                problem(
                    number,
                    f"Danh sách định nghĩa có hơn {MAX_DEFINITIONS} dòng `:` liền nhau (too "
                    "many definitions in one block).",
                    "chèn một dòng trống để tách thành nhiều khối, hoặc dùng bảng.",
                )
                break
    return problems


def _bracket_overflow(lines: list[str]) -> int | None:
    """Index of the line of the first open bracket of the paragraph over the limit."""
    work = 0
    open_lines: list[int] = []
    for number, line in enumerate(lines):
        if not line.strip():
            work, open_lines = 0, []
            continue
        if not open_lines and "[" not in line:
            continue
        # Work is the number of brackets open at each character: count it between events.
        last = 0
        for match in _BRACKET_EVENT.finditer(line):
            work += len(open_lines) * (match.start() - last)
            last = match.start()
            if match.group() == "[":
                open_lines.append(number)
            elif match.group() == "]" and open_lines:
                open_lines.pop()
        work += len(open_lines) * (len(line) + 1 - last)
        if work > MAX_BRACKET_WORK:
            return open_lines[0] if open_lines else number
    return None


def _tag_overflow(text: str) -> int | None:
    """Index of the line of a tag start once the scanning work is over the limit."""
    work = 0
    close = -1  # position of the first `>` at or after the current tag start
    for match in _TAG_START.finditer(text):
        if close < match.start():
            close = text.find(">", match.start())
            if close < 0:
                close = len(text)
        work += close - match.start()
        if work > MAX_TAG_WORK:
            return text.count("\n", 0, match.start())
    return None


def _html_depth_overflow(text: str) -> int | None:
    """Index of the line where raw HTML elements get nested more than the limit.

    Only run once `_tag_overflow` found the tag scanning bounded: the pattern below scans
    from each `<` to its `>` as the parser does.
    """
    depth = 0
    for match in _TAG.finditer(text):
        closing, name, rest = match.groups()
        if name.lower() in _FLAT or rest.endswith("/"):
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > MAX_HTML_DEPTH:
                return text.count("\n", 0, match.start())
    return None


def _nesting(line: str) -> int:
    """List markers and quotes before the line's text, plus its indentation in 4 columns."""
    markers = 0
    position = 0
    while True:
        match = _CONTAINER.match(line, position)
        if match is None or match.end() == position:
            break
        markers += 1
        position = match.end()
    rest = line[position:]
    prefix = line[:position] + rest[: len(rest) - len(rest.lstrip(" \t"))]
    columns = sum(4 if ch == "\t" else 1 for ch in prefix if ch in " \t")
    return markers + columns // 4
