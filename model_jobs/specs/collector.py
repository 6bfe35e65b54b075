"""Collect spec errors while loading goes on past the first one."""

from __future__ import annotations

from pathlib import Path

from model_jobs.errors import SpecError, SpecErrors


class ErrorCollector:
    """Accumulates errors while the loader keeps going past the first one."""

    def __init__(self) -> None:
        self.errors: list[SpecError] = []
        self.warnings: list[SpecError] = []  # worth saying, but the specs load

    def add(self, file: Path, field: str, message: str, line: int | None = None) -> None:
        self.errors.append(SpecError(file=file, field=field, message=message, line=line))

    def warn(self, file: Path, message: str) -> None:
        self.warnings.append(SpecError(file=file, field="", message=message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise SpecErrors(self.errors)
