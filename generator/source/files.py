"""Reading clerks' files safely: encoding, Unicode form, size, and YAML with line numbers.

Clerks' files come from Word and old editors: legacy encodings, NFD text, tabs, duplicate
keys. Each case becomes a Problem naming the file and line, never a traceback.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from generator.errors import ContentError, Problem
from generator.text import nfc

# A post larger than this is almost always a Word document pasted with embedded images.
MAX_TEXT_BYTES = 1024 * 1024
# YAML of a commune file or a post's front matter: nesting and the number of values once
# aliases (`*name`) are expanded. Real files use a handful of levels and a few hundred
# values; a 500-byte "billion laughs" file would otherwise expand to billions.
MAX_YAML_DEPTH = 32
MAX_YAML_NODES = 20_000
# Integers written longer than this stay text (`1` and 5,000 zeros, or 1:1:...:1 in base 60,
# would become numbers that cannot even be printed).
MAX_INT_DIGITS = 30


# Characters XML 1.0 cannot carry (feeds and sitemaps are XML) or that only a broken copy
# and paste produces: C0 controls but tab and line ends, DEL and C1 controls, U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_NAMES = {0: "NUL", 0x0B: "VT (tab dọc)", 0x0C: "FF (sang trang)", 0x1B: "ESC", 0x7F: "DEL"}
MAX_REPORTED = 5


class LineDict(dict[str, Any]):
    """A mapping that remembers the line (1-based) of each of its keys."""

    lines: dict[str, int]
    line: int


def read_text(path: Path, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The file's text as NFC, or a ContentError that says what to do."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError(
            Problem(
                f"Không đọc được tệp (cannot read file): {exc.strerror}.",
                file=path,
                hint="kiểm tra quyền đọc và đường dẫn.",
            )
        ) from None
    if len(raw) > max_bytes:
        raise ContentError(
            Problem(
                f"Tệp quá lớn (file too large): {len(raw) / 1048576:.1f} MB, giới hạn "
                f"{max_bytes / 1048576:.1f} MB.",
                file=path,
                hint="tách thành nhiều bài, hoặc đính kèm nội dung dài dưới dạng tệp PDF "
                "(attachments) và chỉ viết tóm tắt trong bài.",
            )
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(
            Problem(
                "Tệp không phải mã hoá UTF-8 (file is not UTF-8): có thể được lưu từ Word hoặc "
                "bộ gõ cũ bằng bảng mã TCVN3/VNI/Windows-1258.",
                file=path,
                line=line,
                hint="mở tệp và lưu lại với mã hoá UTF-8 (Save as → Encoding: UTF-8), hoặc "
                "chuyển mã bằng Unikey (Công cụ chuyển mã, đích: Unicode).",
            )
        ) from None
    if not text.strip():
        raise ContentError(
            Problem(
                "Tệp rỗng (empty file).",
                file=path,
                hint="thêm nội dung, hoặc xoá tệp nếu không dùng.",
            )
        )
    text = nfc(text.replace("\r\n", "\n").replace("\r", "\n"))
    problems = forbidden_characters(text, path)
    if problems:
        raise ContentError(problems)
    return text


def forbidden_character(text: str) -> str | None:
    """The first control or non-character in `text` as `U+001B ESC`, or None."""
    match = _FORBIDDEN.search(text)
    if match is None:
        return None
    code = ord(match.group())
    return f"U+{code:04X}" + (f" {_NAMES[code]}" if code in _NAMES else "")


def forbidden_characters(text: str, path: Path, first_line: int = 1) -> list[Problem]:
    """A problem for each of the first lines holding a control or non-character."""
    problems: list[Problem] = []
    for match in _FORBIDDEN.finditer(text):
        line = text.count("\n", 0, match.start()) + first_line
        if problems and problems[-1].line == line:
            continue
        if len(problems) == MAX_REPORTED:
            break
        column = match.start() - text.rfind("\n", 0, match.start())
        code = ord(match.group())
        name = f"U+{code:04X}" + (f" {_NAMES[code]}" if code in _NAMES else "")
        problems.append(
            Problem(
                f"Tệp có ký tự điều khiển không hiển thị được (control character) {name} ở "
                f"cột {column}; nguồn tin (feeds) và trang không thể chứa ký tự này.",
                file=path,
                line=line,
                hint="xoá ký tự đó (thường lẫn vào khi chép từ Word, PDF hoặc phần mềm khác): "
                "gõ lại đoạn chữ quanh vị trí này, hoặc mở tệp bằng trình soạn thảo hiện được "
                "ký tự ẩn.",
            )
        )
    return problems


class YamlLimitError(yaml.MarkedYAMLError):
    """The YAML is nested too deeply or expands (through aliases) to too many values."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that records key lines, refuses duplicate keys and bounds the document.

    Composition is where both limits are enforced, before any object is built: the depth
    while descending (PyYAML's composer is recursive), and the expanded size of every node
    (an alias counts the whole node it refers to), computed once per node.
    """

    duplicates: list[tuple[str, int]]
    _depth: int = 0
    _sizes: dict[int, tuple[int, int]]  # id(node) -> (expanded values, depth)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        mark: Any = event.start_mark
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            assert node is not None
            if id(node) not in self._sizes:
                raise YamlLimitError(
                    None,
                    None,
                    f"bí danh *{event.anchor} nằm trong chính giá trị nó trỏ tới (recursive alias)",
                    mark,
                )
            self._check(node, mark, self._sizes[id(node)])
            return node
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise YamlLimitError(
                None,
                None,
                f"lồng nhau quá {MAX_YAML_DEPTH} cấp (nesting too deep)",
                mark,
            )
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        assert node is not None
        children: list[Node] = []
        if isinstance(node.value, list):
            for item in node.value:
                children.extend(item if isinstance(item, tuple) else (item,))
        size = 1 + sum(self._sizes[id(c)][0] for c in children)
        depth = 1 + max((self._sizes[id(c)][1] for c in children), default=0)
        self._sizes[id(node)] = (size, depth)
        self._check(node, mark, (size, depth))
        return node

    def _check(self, node: Node, mark: Any, measure: tuple[int, int]) -> None:
        size, depth = measure
        if size > MAX_YAML_NODES:
            raise YamlLimitError(
                None,
                None,
                f"có hơn {MAX_YAML_NODES:,} giá trị khi mở rộng các bí danh (aliases) "
                "(too many values)".replace(",", "."),
                mark,
            )
        if depth + self._depth > MAX_YAML_DEPTH:
            raise YamlLimitError(
                None,
                None,
                f"lồng nhau quá {MAX_YAML_DEPTH} cấp (nesting too deep)",
                mark,
            )

    def construct_yaml_int(self, node: ScalarNode) -> Any:
        text = str(node.value)
        if len(text) > MAX_INT_DIGITS:
            return text
        return super().construct_yaml_int(node)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        result = LineDict()
        result.lines = {}
        result.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            key = str(key) if not isinstance(key, str) else key
            line = key_node.start_mark.line + 1
            if key in result:
                self.duplicates.append((key, line))
            result[key] = self.construct_object(value_node, deep=True)
            result.lines[key] = line
        return result


# Dates stay strings: congxa parses them itself to accept dd/mm/yyyy and to report errors.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


# Parsed YAML by (text, first line): the live preview reads every post again on each save,
# and congxa's YAML reader (line numbers, limits) is pure Python. Callers get a copy.
_PARSED: dict[tuple[str, int], Any] = {}
_PARSED_MAX = 4096
_PARSED_MAX_TEXT = 16 * 1024


def parse_yaml(text: str, path: Path, first_line: int = 1) -> Any:
    """Parse YAML, mapping errors to the file's own line numbers (first_line = line of text[0])."""
    key = (text, first_line)
    if key in _PARSED:
        return copy.deepcopy(_PARSED[key])
    data = _parse_yaml(text, path, first_line)
    if len(text) <= _PARSED_MAX_TEXT:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))  # the oldest
        _PARSED[key] = copy.deepcopy(data)
    return data


def _parse_yaml(text: str, path: Path, first_line: int) -> Any:
    offset = first_line - 1
    for number, line in enumerate(text.split("\n"), start=first_line):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            raise ContentError(
                Problem(
                    "Dòng thụt lề bằng phím Tab (tab indentation); YAML chỉ chấp nhận dấu cách.",
                    file=path,
                    line=number,
                    hint="thay mỗi Tab ở đầu dòng bằng 2 dấu cách (spaces).",
                )
            )
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # characters YAML refuses (controls, U+FFFE)
        raise ContentError(
            Problem(
                f"Ký tự không được phép trong YAML (character not allowed) U+{exc.character:04X}.",
                file=path,
                line=text.count("\n", 0, exc.position) + first_line,
                hint="xoá ký tự đó (thường lẫn vào khi chép từ Word, PDF hoặc phần mềm khác).",
            )
        ) from None
    loader.duplicates = []
    loader._sizes = {}
    try:
        data = loader.get_single_data()
    except YamlLimitError as exc:
        mark = exc.problem_mark
        raise ContentError(
            Problem(
                f"Phần YAML quá phức tạp (YAML too complex): {exc.problem}.",
                file=path,
                line=mark.line + 1 + offset if mark else None,
                hint="viết từng giá trị ra thẳng, không dùng neo `&` và bí danh `*` (anchors, "
                "aliases) lồng nhau; tệp đơn vị và phần đầu bài chỉ cần vài cấp thụt lề.",
            )
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 + offset if mark else None
        raise ContentError(
            Problem(
                f"Lỗi cú pháp YAML (YAML syntax error): {exc.problem or exc.context}.",
                file=path,
                line=where,
                hint="kiểm tra dấu hai chấm sau tên trường, thụt lề đều nhau, và đặt văn bản có "
                "dấu ':' hoặc '#' trong ngoặc kép.",
            )
        ) from None
    except yaml.YAMLError as exc:
        raise ContentError(
            Problem(
                f"Lỗi cú pháp YAML (YAML syntax error): {exc}.",
                file=path,
                hint="kiểm tra cú pháp YAML.",
            )
        ) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise ContentError(
            [
                Problem(
                    f"Trường {key!r} xuất hiện hai lần (duplicate key).",
                    file=path,
                    line=line + offset,
                    field=key,
                    hint="giữ lại một lần khai báo, xoá dòng còn lại.",
                )
                for key, line in loader.duplicates
            ]
        )
    if offset:
        _shift(data, offset)
    return data


def _shift(data: Any, offset: int) -> None:
    if isinstance(data, LineDict):
        data.line += offset
        data.lines = {k: v + offset for k, v in data.lines.items()}
        for value in data.values():
            _shift(value, offset)
    elif isinstance(data, list):
        for value in data:
            _shift(value, offset)


def line_of(data: Any, key: str) -> int | None:
    """The line of `key` in a mapping read by parse_yaml, or of the mapping itself."""
    if isinstance(data, LineDict):
        return data.lines.get(key, data.line)
    return None
