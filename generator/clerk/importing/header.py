"""The administrative layout of Decree 30/2020/NĐ-CP, recognised and lifted into front matter.

A Vietnamese administrative document opens with the issuing agency and the national motto
(usually a two-column table), the number ("Số: 215/QĐ-UBND"), the place and date line
("Hoàn Kiếm, ngày 12 tháng 10 năm 2026"), the type in capitals (QUYẾT ĐỊNH, THÔNG BÁO...)
and the subject line (trích yếu: "Về việc ..."; "V/v ..." under the number of a letter). It
ends with the recipients ("Nơi nhận:") and the signature block (TM. ỦY BAN NHÂN DÂN, CHỦ
TỊCH, the signer's name). These become `document.*`, `date` and `title`; none of them is
copied into the body. Works on blocks of text lines so a PDF's first page can use it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from generator.source.profile import Profile, Section, SectionKind
from generator.text import fold

# (type as written in a title, abbreviation in the number, sections to suggest in order)
DOCUMENT_TYPES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Quyết định", "QĐ", ("van-ban",)),
    ("Nghị quyết", "NQ", ("van-ban",)),
    ("Chỉ thị", "CT", ("van-ban", "chi-dao-dieu-hanh")),
    ("Quy chế", "QC", ("van-ban",)),
    ("Quy định", "QyĐ", ("van-ban",)),
    ("Thông báo", "TB", ("thong-bao",)),
    ("Thông cáo", "TC", ("thong-bao",)),
    ("Giấy mời", "GM", ("thong-bao",)),
    ("Kế hoạch", "KH", ("quy-hoach-ke-hoach", "van-ban")),
    ("Chương trình", "CTr", ("quy-hoach-ke-hoach", "van-ban")),
    ("Phương án", "PA", ("quy-hoach-ke-hoach", "van-ban")),
    ("Đề án", "ĐA", ("quy-hoach-ke-hoach", "van-ban")),
    ("Báo cáo", "BC", ("van-ban",)),
    ("Hướng dẫn", "HD", ("van-ban",)),
    ("Tờ trình", "TTr", ("van-ban",)),
    ("Biên bản", "BB", ("van-ban",)),
    ("Công điện", "CĐ", ("chi-dao-dieu-hanh", "van-ban")),
    ("Công văn", "", ("chi-dao-dieu-hanh", "van-ban")),
)
_TYPES_BY_FOLD = {fold(t): t for t, _, _ in DOCUMENT_TYPES}
_TYPES_BY_ABBR = {a: t for t, a, _ in DOCUMENT_TYPES if a}

_MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap", "tu do", "hanh phuc")
_NUMBER = re.compile(r"^s[ốo]\s*[:.]?\s*(\S.*)$", re.IGNORECASE)
_DATE = re.compile(
    r"^(?:(?P<place>[^,]{1,60}),\s*)?ngày\s+(?P<d>\d{1,2})\s*tháng\s+(?P<m>\d{1,2})\s*"
    r"năm\s+(?P<y>\d{4})",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^[-_=–—.*~\s]+$")
_SUBJECT = re.compile(r"^(v/v|về việc|về)\b", re.IGNORECASE)
_SIGNATURE = re.compile(
    r"^(TM|KT|Q|TL|TUQ)\s*\.|^(PHÓ )?(CHỦ TỊCH|CHỦ NHIỆM|TRƯỞNG|GIÁM ĐỐC|BÍ THƯ)"
    r"|^\(?\s*([Đđ]ã ký|[Kk]ý)"
)
SIGNATURE_LINE = 60  # characters: longer lines are body text
_NAME_WORD = r"[A-ZÀ-ỸĐ][a-zà-ỹđ]+"
_NAME = re.compile(rf"^{_NAME_WORD}(?: {_NAME_WORD}){{1,5}}$")
_RECIPIENTS = "noi nhan"
HEAD_LIMIT = 16  # blocks: the header never runs longer than this
MAX_SUBJECT = 250  # characters: a longer line after the type is the body's first paragraph


@dataclass
class Block:
    """One top-level block of the document as lines of clean text."""

    lines: list[str]
    table: bool = False


@dataclass
class Header:
    """What the layout told about the document."""

    type: str | None = None
    number: str | None = None
    issuer: str | None = None
    place: str | None = None
    issued: date | None = None
    subject: str | None = None
    signer: str | None = None
    body_start: int = 0  # first block of the body
    body_end: int = 0  # one past the last block of the body
    dropped: list[str] = field(default_factory=list)  # layout lines left out of the body

    @property
    def found(self) -> bool:
        return bool(self.number or self.type or self.issued)

    def title(self) -> str | None:
        """`Quyết định số 215/QĐ-UBND về việc ...`, `Thông báo lịch tiếp công dân`."""
        subject = self.subject
        if subject and subject.lower().startswith("v/v"):
            subject = "về việc" + subject[3:]
        if not self.type:
            return _first_upper(subject) if subject else None
        parts = [self.type]
        if self.number:
            parts.append(f"số {self.number}")
        if subject:
            parts.append(_lower_first(subject))
        return " ".join(parts)

    def slug_text(self) -> str | None:
        """What the post's address is made of: `qd-215-qd-ubnd-ban-hanh-ke-hoach...`, as the
        register names documents (abbreviation, number, subject)."""
        if not self.number:
            return None
        code = self.number.split("/", 1)[1].split("-")[0] if "/" in self.number else ""
        subject = _SUBJECT.sub("", self.subject or "").strip()
        return " ".join(part for part in (code, self.number, subject) if part)


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower the first letter unless the first two words are a name ("Hà Nội")."""
    words = text.split(" ")
    if len(words) > 1 and words[1][:1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _is_upper(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _is_motto(line: str) -> bool:
    folded = fold(line)
    return any(part in folded for part in _MOTTO) and len(folded) < 60


def _type_of(line: str) -> str | None:
    return _TYPES_BY_FOLD.get(fold(line).rstrip(" :"))


def _number(line: str) -> str | None:
    match = _NUMBER.match(line)
    if not match or not re.search(r"\d|/", match[1]):
        return None
    joined = re.sub(r"\s*([/-])\s*", r"\1", match[1]).strip(" .;,")
    return joined.split()[0].rstrip(".;,")  # "215/QĐ-UBND", whatever follows on the line


def _issued(line: str) -> tuple[str | None, date | None] | None:
    match = _DATE.match(line)
    if not match:
        return None
    try:
        when = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
    place = match["place"].strip() if match["place"] else None
    return place, when


_GENERIC = {
    "uy ban nhan dan": "Ủy ban nhân dân",
    "hoi dong nhan dan": "Hội đồng nhân dân",
    "ubnd": "UBND",
    "hdnd": "HĐND",
}
_KINDS = ("thi tran", "dac khu", "thi xa", "thanh pho", "xa", "phuong", "quan", "huyen", "tinh")


def _agency(lines: list[str]) -> str | None:
    """The issuing agency: the last line in capitals above the number, in sentence case
    ("ỦY BAN NHÂN DÂN" / "PHƯỜNG HOÀN KIẾM" -> "Ủy ban nhân dân phường Hoàn Kiếm")."""
    if not lines:
        return None
    name = lines[-1]
    if len(lines) > 1 and fold(lines[-2]) in _GENERIC and not _generic(name):
        name = f"{lines[-2]} {name}"
    if not _is_upper(name):
        return name
    words = name.split()
    lead = _generic(name)
    if lead is None:
        return _first_upper(name.lower())
    out = [_GENERIC[lead]]
    rest = words[len(lead.split()) :]
    kind = next((k for k in _KINDS if fold(" ".join(rest)).startswith(k + " ")), None)
    if kind:
        count = len(kind.split())
        out.append(" ".join(rest[:count]).lower())
        rest = rest[count:]
    out += [word.capitalize() for word in rest]
    return " ".join(out)


def _generic(name: str) -> str | None:
    folded = fold(name)
    return next((g for g in _GENERIC if folded == g or folded.startswith(g + " ")), None)


def read_header(blocks: list[Block]) -> Header:
    """Recognise the opening and closing layout of `blocks`; the body is what lies between."""
    header = Header(body_end=len(blocks))
    agency_lines: list[str] = []
    index = 0
    subject_next = False
    while index < min(len(blocks), HEAD_LIMIT):
        block = blocks[index]
        layout = True
        for line in block.lines:
            if subject_next and not _SEPARATOR.match(line):
                if len(line) > MAX_SUBJECT or line.endswith(":"):
                    subject_next, layout = False, False  # body text: there is no subject line
                    break
                header.subject = f"{header.subject} {line}" if header.subject else line
                continue
            if _SEPARATOR.match(line) or _is_motto(line):
                continue
            number = None if header.number else _number(line)
            issued = None if header.issued else _issued(line)
            kind = None if header.type else _type_of(line)
            if number:
                header.number = number
            elif issued:
                header.place, header.issued = issued
            elif kind:
                header.type = kind
            elif _SUBJECT.match(line) and (header.number or header.type) and not header.subject:
                header.subject = line
            elif _is_upper(line) and not header.type and not header.number:
                agency_lines.append(line)
            elif block.table and not header.type:
                continue  # other cells of the header table (a cell's blank lines, notes)
            else:
                layout = False
        if not layout:
            break
        if subject_next and header.subject:
            subject_next = False
            index += 1
            break
        if header.type and not header.subject and not block.table:
            subject_next = True
        index += 1
    if not header.found:
        header = Header(body_end=len(blocks))
        _read_signature(blocks, header)
        return header
    # Separator lines between the subject and the body.
    while index < len(blocks) and all(_SEPARATOR.match(line) for line in blocks[index].lines):
        index += 1
    header.body_start = index
    header.issuer = _agency(agency_lines)
    if not header.type and header.number:
        abbreviation = header.number.split("/")[-1].split("-")[0] if "/" in header.number else ""
        header.type = _TYPES_BY_ABBR.get(abbreviation) or (
            "Công văn" if header.subject and header.subject.lower().startswith("v/v") else None
        )
    for block in blocks[:index]:
        header.dropped += block.lines
    _read_signature(blocks, header)
    return header


def _read_signature(blocks: list[Block], header: Header) -> None:
    """Find "Nơi nhận" and the signature block at the end; the body stops before them."""
    start = header.body_start
    end = len(blocks)
    recipients = next(
        (
            i
            for i in range(end - 1, start - 1, -1)
            if any(fold(line).startswith(_RECIPIENTS) for line in blocks[i].lines)
        ),
        None,
    )
    if recipients is not None:
        cut = recipients
        # A signature typed as paragraphs just above "Nơi nhận".
        while cut - 1 >= start and _is_signature_block(blocks[cut - 1]):
            cut -= 1
        region = blocks[cut:]
    else:
        cut = end
        while cut - 1 >= start and _is_signature_block(blocks[cut - 1]) and end - cut < 6:
            cut -= 1
        if not any(_SIGNATURE.search(line) for b in blocks[cut:] for line in b.lines):
            return
        region = blocks[cut:]
    header.body_end = cut
    for block in region:
        header.dropped += block.lines
    names = [
        line
        for block in region
        for line in _signature_lines(block)
        if _NAME.match(line) and not fold(line).startswith(_RECIPIENTS)
    ]
    if names:
        header.signer = names[-1]


def _signature_lines(block: Block) -> list[str]:
    """The lines that may hold the signer's name: not the recipients' "- ..." items."""
    return [line for line in block.lines if not line.startswith(("-", "+", "•"))]


def _is_signature_block(block: Block) -> bool:
    lines = [line for line in block.lines if not _SEPARATOR.match(line)]
    if not lines:
        return True
    return all(
        len(line) <= SIGNATURE_LINE
        and (_SIGNATURE.search(line) or _NAME.match(line) or _is_upper(line))
        for line in lines
    )


def suggest_section(profile: Profile, document_type: str | None) -> Section:
    """The profile's section for a document of this type (decisions in `van-ban`...); a
    text without a recognised type is news."""
    sections = profile.post_sections()
    wanted: tuple[str, ...] = ()
    for name, _, candidates in DOCUMENT_TYPES:
        if name == document_type:
            wanted = candidates
    fallback = ("van-ban", "thong-bao") if document_type else ("tin-tuc", "thong-bao")
    for candidate in (*wanted, *fallback):
        found = next((s for s in sections if s.id == candidate), None)
        if found is not None:
            return found
    documents = [s for s in sections if s.kind == SectionKind.DOCUMENTS]
    posts = [s for s in sections if s.kind == SectionKind.POSTS]
    return (documents or posts or sections)[0]
