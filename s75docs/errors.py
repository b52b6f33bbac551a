"""Findings and the errors that carry them: every message names file, field path and line."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "open"]


@dataclass(frozen=True)
class Finding:
    """One thing a person must know about their input: where it is and what was expected."""

    severity: Severity
    message: str
    file: str | None = None
    path: str = ""
    line: int | None = None
    code: str = ""

    def location(self) -> str:
        """``file:line: path`` in the form editors and terminals link to."""
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.path:
            where += f": {self.path}"
        return where

    def __str__(self) -> str:
        return f"{self.location()}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class S75Error(Exception):
    """An input or template problem that stops the work; carries its findings."""

    def __init__(self, findings: list[Finding] | Finding):
        self.findings = [findings] if isinstance(findings, Finding) else list(findings)
        super().__init__("\n".join(str(f) for f in self.findings))


def format_path(parts: tuple[object, ...] | list[object]) -> str:
    """``("schedules", 2, "amount")`` -> ``schedules[2].amount``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
