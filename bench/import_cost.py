"""Code-location load: `import model_jobs.definitions` (the demo) vs `import dagster`, fresh processes.

Each variant is a fresh interpreter importing one thing, side by side (the order rotating by round),
from bytecode caches as an installed program runs (PYTHONPYCACHEPREFIX in a temporary folder,
filled by one unmeasured round), or with --cold-imports without them (PYTHONDONTWRITEBYTECODE: every
import compiles its source, as on a machine that sets it with a virtual environment installed
without .pyc files):

* dagster: `import dagster`, what any code location pays;
* floor: `import dagster, snowflake.connector`, what any code location that talks to Snowflake pays
  by the time it runs or evaluates anything (a run, a sensor tick);
* ours: `import model_jobs.definitions`, loading the demo's Definitions (specs read and compiled,
  reference cache warm), as a code server does.

It also reports what `ours` imports of the heavy modules it defers (Snowpark, snowflake.core,
Dagster's SQL storage): none is expected. Target (exit 1 when missed, unless --no-fail): median
ours <= 1.5 x median dagster (the issue's), and the same against the floor.

Run it: make bench-imports, or python bench/import_cost.py --rounds 9 [--cold-imports].
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness  # bench/harness.py, next to this script

REPO = Path(__file__).resolve().parents[1]
VARIANTS = {
    "dagster": "import dagster",
    "floor": "import dagster, snowflake.connector",
    "ours": "import model_jobs.definitions",
}
DEFERRED = ("snowflake.snowpark", "snowflake.core", "sqlalchemy", "alembic")


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__, rounds=9)
    parser.add_argument("--cold-imports", action="store_true", help="no bytecode caches: every import compiles")
    parser.add_argument("--max-ratio", type=float, default=1.5, help="target: ours / dagster (default 1.5)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="model_jobs_imports_") as tmp:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        if args.cold_imports:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)

        def run(code: str) -> str:
            done = subprocess.run(
                [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise SystemExit(f"`{code}` failed:\n{done.stderr}")
            return done.stdout

        def variant(code: str):
            def measured() -> harness.Measured:
                start = time.perf_counter()
                run(code)
                return harness.Measured(time.perf_counter() - start)

            return measured

        for code in VARIANTS.values():  # fills the bytecode caches (or, cold, warms the file system)
            run(code)
        print(f"imports {'cold (no bytecode caches)' if args.cold_imports else 'from bytecode caches'}")
        runs = harness.side_by_side({name: variant(code) for name, code in VARIANTS.items()}, args.rounds)
        deferred = run(
            "import sys, model_jobs.definitions\n"
            f"print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {DEFERRED[2:]!r} "
            f"or m.startswith({DEFERRED[:2]!r}))))"
        ).split()
    median = {name: statistics.median(m.seconds for m in measured) for name, measured in runs.items()}
    harness.table(
        f"Fresh-process imports, median (min-max) of {args.rounds} rounds",
        ["variant", "imports", "seconds", "ratio to dagster"],
        [
            [
                name,
                VARIANTS[name],
                f"{median[name]:.3f} ({min(m.seconds for m in measured):.2f}-{max(m.seconds for m in measured):.2f})",
                median[name] / median["dagster"],
            ]
            for name, measured in runs.items()
        ],
    )
    print(f"\nheavy modules loading the demo imports: {', '.join(deferred) or 'none'}")
    targets = [
        harness.Target("ours / dagster", median["ours"] / median["dagster"], args.max_ratio),
        harness.Target(
            "ours / floor (dagster + snowflake.connector)", median["ours"] / median["floor"], args.max_ratio
        ),
        harness.Target("heavy modules imported (count)", float(len(deferred)), 0.0),
    ]
    figures = {"seconds": {name: [m.seconds for m in measured] for name, measured in runs.items()}}
    return harness.finish("import_cost", args, figures | {"median": median, "deferred_imported": deferred}, targets)


if __name__ == "__main__":
    sys.exit(main())
