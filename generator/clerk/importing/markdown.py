"""HTML (from mammoth) to clean Markdown, over a parsed tree; Word's clutter removed.

The tree is built with the standard library's HTML parser and rendered by hand: only the
elements a Word document produces are kept (headings, paragraphs, lists, tables, bold and
italic, links, images, footnotes); every other tag contributes its text. Text is escaped
so nothing in the document becomes Markdown syntax or raw HTML by accident. Clutter
removed: empty paragraphs, manual line breaks inside paragraphs, runs of tab stops (rows of
tab-aligned text become a table), non-breaking and zero-width spaces, curly quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from generator.text import nfc

_VOID = {"br", "img", "hr", "col", "wbr", "input", "meta", "link"}
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "hr"}
_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'"})
_ESCAPE = re.compile(r"([\\`*_\[\]])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LINE_START = re.compile(r"^(#{1,6}(?=\s)|[-+](?=\s)|=+$)")
_NUMBERED = re.compile(r"^(\d+)([.)])(?=\s)")
_SAFE_HREF = re.compile(r"^(https?://|mailto:|tel:)", re.IGNORECASE)
_NOTE_REF = re.compile(r"^#(foot|end)note-(\d+)$")
_NOTE_ID = re.compile(r"^(foot|end)note-(\d+)$")
_TABS = re.compile(r"\t+")
MAX_COLUMNS = 50  # a merged cell never spans more (a hostile colspan stays small)


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> list[Node | str]:
    """The top-level nodes of an HTML fragment."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root.children


def text_of(node: Node | str, breaks: str = "\n") -> str:
    """The node's text, `<br>` as `breaks`, table cells and paragraphs on their own lines."""
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return breaks
    parts = [text_of(child, breaks) for child in node.children]
    if node.tag in ("p", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6"):
        return "".join(parts) + "\n"
    return "".join(parts)


def clean(text: str) -> str:
    """One line of plain text: NFC, one space between words, straight quotes."""
    return _SPACES.sub(" ", nfc(text).translate(_QUOTES)).strip()


def _escape(text: str) -> str:
    text = _ENTITY.sub("&amp;", _ESCAPE.sub(r"\\\1", text))
    return text.replace("<", "&lt;").replace(">", "&gt;")  # never raw HTML


@dataclass
class Rendered:
    """The Markdown body, and what the clerk should know about it."""

    markdown: str
    notes: dict[str, str] = field(default_factory=dict)  # footnote number -> text
    images_without_alt: int = 0


class _Renderer:
    def __init__(self, image_base: str) -> None:
        self.image_base = image_base
        self.notes: dict[str, str] = {}
        self.numbers: dict[str, int] = {}  # footnotes numbered 1, 2... in reading order
        self.images_without_alt = 0

    def number(self, key: str) -> int:
        return self.numbers.setdefault(key, len(self.numbers) + 1)

    # Inline content -------------------------------------------------------------
    def inline(self, nodes: list[Node | str]) -> str:
        out: list[str] = []
        for node in nodes:
            if isinstance(node, str):
                out.append(_escape(_SPACES.sub(" ", nfc(node).translate(_QUOTES))))
                continue
            out.append(self.inline_node(node))
        return "".join(out)

    def inline_node(self, node: Node) -> str:
        tag = node.tag
        if tag == "br":
            return " "  # a manual line break inside a paragraph: the sentence goes on
        if tag == "img":
            src = node.attrs.get("src", "")
            if not src:
                return ""
            alt = clean(node.attrs.get("alt", ""))
            if not alt:
                self.images_without_alt += 1
            return f"![{_escape(alt)}](<{self.image_base}{src}>)"
        if tag == "a":
            href = node.attrs.get("href", "")
            ref = _NOTE_REF.match(href)
            if ref and node.attrs.get("id", "").startswith(f"{ref[1]}note-ref-"):
                return f"[^{self.number(ref[1] + ref[2])}]"
            inner = self.inline(node.children)
            if _SAFE_HREF.match(href) and inner.strip():
                return f"[{inner.strip()}](<{href.replace('>', '%3E').replace(' ', '%20')}>)"
            return inner
        if tag in ("strong", "b", "em", "i"):
            inner = self.inline(node.children)
            mark = "**" if tag in ("strong", "b") else "*"
            core = inner.strip()
            if not core:
                return inner
            lead = " " if inner[:1] == " " else ""
            tail = " " if inner[-1:] == " " else ""
            return f"{lead}{mark}{core}{mark}{tail}"
        if tag in _BLOCKS or tag in ("li", "tr", "td", "th"):
            return " " + self.inline(node.children) + " "
        return self.inline(node.children)

    def line(self, nodes: list[Node | str]) -> str:
        text = " ".join(self.inline(nodes).split(" "))
        text = re.sub(r" {2,}", " ", text).strip()
        text = _NUMBERED.sub(r"\1\\\2", text)
        return _LINE_START.sub(lambda m: "\\" + m[0], text)

    # Blocks -------------------------------------------------------------------------
    def blocks(self, nodes: list[Node | str], indent: str = "") -> list[str]:
        out: list[str] = []
        for group in _group_tab_rows(nodes):
            if isinstance(group, list):
                out.append(self.tab_table(group, indent))
                continue
            node = group
            if isinstance(node, str):
                text = self.line([node])
                if text:
                    out.append(indent + text)
                continue
            rendered = self.block(node, indent)
            if rendered:
                out.append(rendered)
        return out

    def block(self, node: Node, indent: str) -> str:
        tag = node.tag
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = self.line(node.children)
            level = min(6, max(2, int(tag[1]) + 1))  # the page's title is the only h1
            return f"{indent}{'#' * level} {text}" if text else ""
        if tag == "p":
            text = self.line(node.children)
            return indent + text if text else ""
        if tag in ("ul", "ol"):
            if self.footnote_list(node):
                return ""
            return self.items(node, indent)
        if tag == "table":
            return self.table(node, indent)
        if tag == "blockquote":
            inner = self.blocks(node.children)
            return "\n\n".join(indent + "> " + b.replace("\n", "\n> ") for b in inner)
        if tag == "hr":
            return ""
        return "\n\n".join(self.blocks(node.children, indent))

    def footnote_list(self, node: Node) -> bool:
        """mammoth writes footnotes as a list of `<li id="footnote-N">`: keep them aside."""
        items = [c for c in node.children if isinstance(c, Node) and c.tag == "li"]
        if not items or not all(_NOTE_ID.match(i.attrs.get("id", "")) for i in items):
            return False
        for item in items:
            match = _NOTE_ID.match(item.attrs["id"])
            assert match is not None
            _drop_backlinks(item)
            self.notes[match[1] + match[2]] = " ".join(self.blocks(item.children))
        return True

    def items(self, node: Node, indent: str) -> str:
        lines: list[str] = []
        number = 0
        for item in node.children:
            if not isinstance(item, Node) or item.tag != "li":
                continue
            number += 1
            marker = f"{number}. " if node.tag == "ol" else "- "
            inline: list[Node | str] = []
            nested: list[str] = []
            for child in item.children:
                if isinstance(child, Node) and child.tag in ("ul", "ol", "table"):
                    nested.append(self.block(child, indent + "    "))
                elif isinstance(child, Node) and child.tag == "p":
                    inline += [" ", *child.children, " "]
                else:
                    inline.append(child)
            text = self.line(inline)
            if not text and not any(nested):
                number -= 1
                continue
            lines.append(f"{indent}{marker}{text}")
            lines += [n for n in nested if n]
        return "\n".join(lines)

    def cell(self, node: Node) -> str:
        text = self.line([" " if isinstance(c, Node) and c.tag == "br" else c for c in _flat(node)])
        return text.replace("|", "\\|")

    def table(self, node: Node, indent: str) -> str:
        rows: list[list[str]] = []
        for row in _rows(node):
            cells: list[str] = []
            for cell in row:
                cells.append(self.cell(cell))
                span = cell.attrs.get("colspan", "1")
                wide = span.isdigit() and len(span) <= 3
                cells += [""] * (min(int(span), MAX_COLUMNS) - 1 if wide else 0)
            if any(cells):
                rows.append(cells)
        return _markdown_table(rows, indent)

    def tab_table(self, paragraphs: list[Node], indent: str) -> str:
        rows = []
        for paragraph in paragraphs:
            text = "".join(text_of(c, " ") for c in paragraph.children)
            rows.append([_escape(clean(cell)).replace("|", "\\|") for cell in _tab_cells(text)])
        return _markdown_table(rows, indent)


def _markdown_table(rows: list[list[str]], indent: str) -> str:
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    if width == 1:  # a one-column table is a list of paragraphs
        return "\n\n".join(indent + r[0] for r in rows if r[0])
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(indent + line for line in lines)


def _rows(table: Node) -> list[list[Node]]:
    rows: list[list[Node]] = []
    for child in table.children:
        if not isinstance(child, Node):
            continue
        if child.tag == "tr":
            rows.append(
                [c for c in child.children if isinstance(c, Node) and c.tag in ("td", "th")]
            )
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows += _rows(child)
    return rows


def _flat(node: Node) -> list[Node | str]:
    """A cell's content as inline nodes: its paragraphs and lists joined by spaces."""
    out: list[Node | str] = []
    for child in node.children:
        if isinstance(child, Node) and (child.tag in _BLOCKS or child.tag == "li"):
            out += [" ", *_flat(child), " "]
        else:
            out.append(child)
    return out


def _drop_backlinks(node: Node) -> None:
    node.children = [
        c
        for c in node.children
        if not (isinstance(c, Node) and c.tag == "a" and "note-ref-" in c.attrs.get("href", ""))
    ]
    for child in node.children:
        if isinstance(child, Node):
            _drop_backlinks(child)


def _tab_cells(text: str) -> list[str]:
    return _TABS.split(text.strip(" \t\u00a0"))


def _tab_row(node: Node | str) -> int:
    """The number of tab-separated cells of a paragraph (0: not a tab-aligned row)."""
    if not isinstance(node, Node) or node.tag != "p":
        return 0
    text = "".join(text_of(c, " ") for c in node.children)
    if "\t" not in text.strip(" \t\u00a0"):
        return 0
    return len(_tab_cells(text))


def _group_tab_rows(nodes: list[Node | str]) -> list[Node | str | list[Node]]:
    """Two or more paragraphs in a row with the same number of tab-separated cells are a
    table typed with the Tab key; a lone paragraph with tabs keeps its text."""
    out: list[Node | str | list[Node]] = []
    index = 0
    while index < len(nodes):
        cells = _tab_row(nodes[index])
        end = index
        while cells >= 2 and end + 1 < len(nodes) and _tab_row(nodes[end + 1]) == cells:
            end += 1
        if end > index:
            out.append([n for n in nodes[index : end + 1] if isinstance(n, Node)])
        else:
            out.append(nodes[index])
        index = end + 1
    return out


def render(nodes: list[Node | str], image_base: str = "") -> Rendered:
    """Markdown for the body's nodes, footnotes at the end; image sources get `image_base`."""
    renderer = _Renderer(image_base)
    blocks = [b for b in renderer.blocks(nodes) if b.strip()]
    notes = sorted((renderer.number(key), text) for key, text in renderer.notes.items())
    blocks += [f"[^{number}]: {text}" for number, text in notes]
    markdown = "\n\n".join(blocks).strip()
    return Rendered(
        markdown + "\n" if markdown else "", renderer.notes, renderer.images_without_alt
    )


def has_image(node: Node | str) -> bool:
    """Does the node hold a picture (a paragraph with only an image is not empty)?"""
    if isinstance(node, str):
        return False
    return node.tag == "img" or any(has_image(child) for child in node.children)
