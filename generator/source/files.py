"""Reading clerks' files safely: encoding, Unicode form, size, and YAML with line numbers.

Clerks' files come from Word and old editors: legacy encodings, NFD text, tabs, duplicate
keys. Each case becomes a Problem naming the file and line, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode

from generator.errors import ContentError, Problem
from generator.text import nfc

# A post larger than this is almost always a Word document pasted with embedded images.
MAX_TEXT_BYTES = 1024 * 1024


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
    return nfc(text.replace("\r\n", "\n").replace("\r", "\n"))


class _Loader(yaml.SafeLoader):
    """SafeLoader that records key lines and refuses duplicate keys."""

    duplicates: list[tuple[str, int]]

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


def parse_yaml(text: str, path: Path, first_line: int = 1) -> Any:
    """Parse YAML, mapping errors to the file's own line numbers (first_line = line of text[0])."""
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
    loader = _Loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
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
