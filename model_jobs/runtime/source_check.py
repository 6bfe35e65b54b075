"""Before writing: every location a job reads exists and still has the declared columns (pure:
the columns found are read by `preflight`)."""

from __future__ import annotations

from dataclasses import dataclass

from model_jobs.compile.resolve import SourceRead
from model_jobs.errors import SourceSchemaMismatch
from model_jobs.identifiers import TableName
from model_jobs.specs.models import TYPE_FAMILIES, SourceSpec


@dataclass(frozen=True)
class SourceProblem:
    source: SourceRead
    message: str

    def __str__(self) -> str:
        where = str(self.source.actual)
        if self.source.actual != self.source.design:
            where += f" (mapped from {self.source.design})"
        return f"{where}: {self.message}"


def type_family(data_type: str) -> str:
    base = data_type.split("(")[0].strip().upper()
    return TYPE_FAMILIES.get(base, base)


def compare(source: SourceRead, actual: dict[str, str], declared: SourceSpec | None) -> list[SourceProblem]:
    if not actual:
        if source.upstream_model:
            hint = f"materialize model {source.upstream_model!r} in this environment first"
        else:
            hint = "check the job's source_mapping"
        return [SourceProblem(source, f"table does not exist ({hint})")]
    problems = []
    for column, expected in (declared.columns if declared else {}).items():
        if column not in actual:
            problems.append(SourceProblem(source, f"column {column} is missing (declared {expected} in sources.yaml)"))
        elif type_family(actual[column]) != type_family(expected):
            problems.append(
                SourceProblem(source, f"column {column} is {actual[column]}, but sources.yaml declares {expected}")
            )
    return problems


def check_sources(
    sources: tuple[SourceRead, ...], actual: dict[TableName, dict[str, str]], declared: dict[TableName, SourceSpec]
) -> None:
    """`actual`: the columns found for each location read (none when it does not exist)."""
    problems = [
        problem
        for source in sources
        for problem in compare(source, actual.get(source.actual, {}), declared.get(source.design))
    ]
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise SourceSchemaMismatch(
            f"sources do not match what the model was built against; nothing was written:\n{lines}"
        )
