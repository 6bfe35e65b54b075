"""Spec errors: every problem found, each naming its file, line, field path and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SpecError:
    file: Path
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class SpecErrors(Exception):
    """Raised with all spec errors at once, so one fix-and-rerun cycle sees everything."""

    def __init__(self, errors: list[SpecError]):
        self.errors = sorted(errors, key=lambda e: (str(e.file), e.line or 0, e.field, e.message))
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.errors)
        header = f"job_specs are invalid ({count} error{'s' if count != 1 else ''}):"
        return "\n".join([header, *(f"  - {e}" for e in self.errors)])


class ErrorCollector:
    """Accumulates errors while the loader keeps going past the first one."""

    def __init__(self) -> None:
        self.errors: list[SpecError] = []

    def add(self, file: Path, field: str, message: str, line: int | None = None) -> None:
        self.errors.append(SpecError(file=file, field=field, message=message, line=line))

    def raise_if_any(self) -> None:
        if self.errors:
            raise SpecErrors(self.errors)
