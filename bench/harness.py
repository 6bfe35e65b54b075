"""What the benchmarks share: an embedded Snowflake in a temporary folder, timing side by side (the
order of the variants rotates every round, so noise hits all alike), aligned tables, targets that
set the exit code (1 when one is missed, unless --no-fail), every figure as JSON in bench/out/."""

import argparse
import contextlib
import gc
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from model_jobs.text_table import render_table
from model_jobs.warehouse.local_snowflake import PORT_ENV, free_port, running_in_thread, start_process
from model_jobs.warehouse.settings import ACCOUNT_ENV

OUT = Path(__file__).resolve().parent / "out"


def parser(doc: str, rounds: int) -> argparse.ArgumentParser:
    """The flags every benchmark takes; the first paragraph of `doc` describes it."""
    result = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    result.add_argument("--rounds", type=int, default=rounds, help=f"rounds; medians are reported (default {rounds})")
    result.add_argument("--no-fail", action="store_true", help="exit 0 even when a target is missed: only report")
    return result


@contextlib.contextmanager
def embedded_snowflake(own_process: bool = False) -> Iterator[Path]:
    """An embedded Snowflake with its data in a temporary folder (yielded): snowflake_resource_from_env()
    reaches it while this is open. `own_process`: served from a child process, as `make dev` does
    and as a real warehouse is remote, so its work (and its garbage collection) is not counted as
    the benchmarked process's."""
    saved = {name: os.environ.pop(name, None) for name in (ACCOUNT_ENV, PORT_ENV)}
    try:
        with tempfile.TemporaryDirectory(prefix="model_jobs_bench_") as tmp:
            data = Path(tmp) / "snowflake"
            if own_process:
                port = free_port()
                server = start_process(port, data, Path(tmp) / "snowflake.log")
                try:
                    os.environ[PORT_ENV] = str(port)
                    yield Path(tmp)
                finally:
                    server.terminate()
                    server.wait(timeout=60)
            else:
                with running_in_thread(data_dir=data) as port:
                    os.environ[PORT_ENV] = str(port)
                    yield Path(tmp)
    finally:
        os.environ.pop(PORT_ENV, None)
        os.environ.update({name: value for name, value in saved.items() if value is not None})


def same_rows_probe(columns: str, target: str, expected: str) -> str:
    """One row: the target's rows, the expected SELECT's rows, and the rows only in one of the two
    (EXCEPT both ways). `target` is a table name; `expected` a SELECT of `columns`. Bench constants
    only: nothing here comes from a user."""
    return (
        f"SELECT (SELECT COUNT(*) FROM {target}), (SELECT COUNT(*) FROM ({expected})), "
        f"(SELECT COUNT(*) FROM (SELECT {columns} FROM {target} EXCEPT {expected})), "
        f"(SELECT COUNT(*) FROM ({expected} EXCEPT SELECT {columns} FROM {target}))"
    )


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_of(n: int, fn: Callable[[], Any]) -> float:
    """The median seconds of n calls."""
    return statistics.median([timed(fn)[0] for _ in range(n)])


@dataclass
class Measured:
    seconds: float  # in all
    parts: dict[str, float] = field(default_factory=dict)  # seconds of the steps within, by label, in order
    facts: dict[str, Any] = field(default_factory=dict)


def side_by_side(variants: dict[str, Callable[[], Measured]], rounds: int) -> dict[str, list[Measured]]:
    """Every variant once per round; the order rotates each round, so none always runs first."""
    names = list(variants)
    results: dict[str, list[Measured]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            results[name].append(variants[name]())
        print(f"  round {round_ + 1}: " + ", ".join(f"{n} {results[n][-1].seconds:.3f}s" for n in names), flush=True)
    return results


def summary(runs: dict[str, list[Measured]]) -> dict[str, dict[str, Any]]:
    """Per variant: the seconds of every round, their median, and the median of each part."""
    result = {}
    for name, measured in runs.items():
        labels = dict.fromkeys(label for m in measured for label in m.parts)
        parts = {label: statistics.median([m.parts[label] for m in measured if label in m.parts]) for label in labels}
        seconds = [m.seconds for m in measured]
        result[name] = {"seconds": seconds, "median": statistics.median(seconds), "parts": parts}
    return result


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    """Floats with 3 decimals, booleans as yes / NO."""
    cell = {bool: lambda v: "yes" if v else "NO", float: lambda v: f"{v:.3f}"}
    body = render_table(header, [[cell.get(type(v), str)(v) for v in row] for row in rows])
    print(f"\n{title}\n\n" + "\n".join("  " + line for line in body.splitlines()), flush=True)


@dataclass(frozen=True)
class Target:
    name: str
    measured: float
    limit: float

    @property
    def met(self) -> bool:
        return self.measured <= self.limit


def finish(script: str, args: argparse.Namespace, figures: dict[str, Any], targets: list[Target]) -> int:
    """Print the targets, write every figure to bench/out/<script>.json; the exit code."""
    table("Targets", ["target", "measured", "limit", "met"], [[t.name, t.measured, t.limit, t.met] for t in targets])
    OUT.mkdir(exist_ok=True)
    record = {"script": script, "at": datetime.now().isoformat(timespec="seconds"), "arguments": vars(args)}
    record |= {"targets": [asdict(t) | {"met": t.met} for t in targets], "figures": figures}
    (OUT / f"{script}.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    missed = [t.name for t in targets if not t.met]
    print(f"\nfigures in {OUT / script}.json; " + (f"MISSED: {'; '.join(missed)}" if missed else "every target met"))
    return 1 if missed and not args.no_fail else 0


class StatementCounter:
    """SQL statements sent by any SQLAlchemy Engine of this process (Dagster's SQLite storages
    create one per connection: a class-level listener sees them all) while `counting` is set."""

    def __init__(self) -> None:
        self.count, self.counting = 0, False
        self.texts: Counter[str] = Counter()
        event.listen(Engine, "before_cursor_execute", self._before)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.counting:
            self.count += 1
            self.texts[" ".join(statement.split())[:90]] += 1

    @contextlib.contextmanager
    def measure(self) -> Iterator[None]:
        self.count, self.counting = 0, True
        self.texts.clear()
        try:
            yield
        finally:
            self.counting = False

    def close(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._before)
