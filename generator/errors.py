"""One error tree for congxa.

Every error a user can meet carries the file, the line where known, the field, and the fix,
in Vietnamese with the English term, so the CLI can print it without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    """How much a finding matters: an error stops its unit, a warning does not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding about one file: an error stops that unit, a warning does not."""

    message: str
    file: Path | None = None
    line: int | None = None
    field: str | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    rule: str = "invalid"

    def location(self) -> str:
        if self.file is None:
            return ""
        where = _display(self.file)
        if self.line is not None:
            where += f":{self.line}"
        return where

    def format(self) -> str:
        """One line for people: `file:line: lỗi (error) [field] message. Cách sửa (fix): hint`."""
        label = "lỗi (error)" if self.severity == Severity.ERROR else "cảnh báo (warning)"
        parts = []
        loc = self.location()
        if loc:
            parts.append(f"{loc}:")
        parts.append(label)
        if self.field:
            parts.append(f"[{self.field}]")
        text = " ".join(parts) + " " + self.message
        if self.hint:
            text += f" Cách sửa (fix): {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "file": str(self.file) if self.file else None,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }


def _display(path: Path) -> str:
    """Paths relative to the current folder when inside it: what a clerk typed."""
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)
    return str(path)


class CongxaError(Exception):
    """Base of every error congxa raises on purpose."""

    def __init__(self, problems: list[Problem] | Problem | str, unit: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = problems
        self.unit = unit
        super().__init__("\n".join(p.format() for p in problems))


class ConfigError(CongxaError):
    """A commune file, profile, registry or project setting is wrong."""


class ContentError(CongxaError):
    """A post or an attachment is wrong."""


class BuildError(CongxaError):
    """MkDocs or the output folder failed while building a unit."""


class AuditError(CongxaError):
    """The audit could not run (bad URL list, database, settings)."""


class OutputError(CongxaError):
    """The output folder cannot be used: another build holds it, or it cannot be written."""
