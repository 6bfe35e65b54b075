"""model-jobs: command line for validating specs, running the local Snowflake, the demo and dev.

Commands that need Dagster import it when they run (model_jobs.defs), so `validate`, `deploy`'s
checks and `schema` start without loading it."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from model_jobs.compile.compiled_project import CompiledProject, ResolvedJob
from model_jobs.compile.triggers import DISPATCHER_SENSOR
from model_jobs.errors import CommandError, InvalidIdentifier, ModelJobsError, SpecErrors
from model_jobs.identifiers import normalize_identifier
from model_jobs.project import SPECS_DIR_ENV, job_at_tag, load_project, specs_dir
from model_jobs.warehouse import local_snowflake
from model_jobs.warehouse.settings import uses_local_snowflake


def cmd_validate(args: argparse.Namespace) -> int:
    from model_jobs.defs.build import loadable_definitions

    path = specs_dir(args.path)
    project = load_project(path)
    loadable_definitions(project)  # what the code location does next: validate says what it would
    for warning in project.specs.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    scheduled = sum(1 for t in project.triggers.values() if t.schedule)
    on_events = sum(1 for t in project.triggers.values() if t.on)
    conditioned = sum(1 for job in project.jobs.values() if job.conditions)
    checks = sum(len(checks) for checks in project.source_rules.checks.values())
    print(
        f"{path}: {len(project.specs.models)} model(s), {len(project.jobs)} Model Job(s) "
        f"({scheduled} scheduled, {on_events} run after events, {conditioned} with conditions), "
        f"{checks} source check(s), all valid"
    )
    return 0


def cmd_local_snowflake(args: argparse.Namespace) -> int:
    port = args.port or local_snowflake.configured_port()
    data_dir = args.data_dir or str(local_snowflake.configured_data_dir())
    local_snowflake.main(["--port", str(port), "--data-dir", data_dir])
    return 0


@contextlib.contextmanager
def _local_snowflake_for_command() -> Iterator[None]:
    """Reuse a running local Snowflake (e.g. from `make dev`), else serve one from this process."""
    if not uses_local_snowflake():
        yield
        return
    port = local_snowflake.configured_port()
    local_snowflake.check_port_is_ours(port)
    if local_snowflake.is_listening(port):
        yield
        return
    with local_snowflake.running_in_thread(port, local_snowflake.configured_data_dir()):
        yield


def _seed(project: CompiledProject) -> None:
    from model_jobs.defs.resources import connection_outside_a_run
    from model_jobs.demo.seed import seed

    with connection_outside_a_run() as connection:
        loaded = seed(connection, project)
    print(f"seeded {len(loaded)} demo tables ({sum(loaded.values())} rows)")


def _check_environment(project: CompiledProject, environment: str) -> None:
    if environment not in project.specs.environments:
        raise CommandError(f"unknown environment {environment!r}; known: {', '.join(project.specs.environments)}")


def cmd_seed(args: argparse.Namespace) -> int:
    project = load_project(args.specs)
    with _local_snowflake_for_command():
        _seed(project)
    return 0


def cmd_load_orders(args: argparse.Namespace) -> int:
    """Append fresh demo orders to the ORDERS source an environment reads."""
    from datetime import UTC, datetime

    from model_jobs.defs.resources import connection_outside_a_run
    from model_jobs.demo.seed import ORDERS, load_new_orders

    project = load_project(args.specs)
    _check_environment(project, args.env)
    if args.orders < 1:
        raise CommandError("--orders must be at least 1")
    if args.env not in project.source_locations.get(ORDERS, {}):
        raise CommandError(f"no Model Job reads the demo's orders source {ORDERS} in {args.env!r}")
    with _local_snowflake_for_command(), connection_outside_a_run() as connection:
        written = load_new_orders(connection, project, args.env, args.orders, datetime.now(UTC))
    for table, rows in written:
        print(f"{table}: {rows} new rows, loaded now")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from model_jobs.defs.instance import open_instance
    from model_jobs.demo.run_all import materialize_all, summary

    project = load_project(args.specs)
    with _local_snowflake_for_command():
        if uses_local_snowflake():
            _seed(project)
        # The instance `make dev` uses: the demo's runs show in the UI afterwards.
        with open_instance() as instance:
            print("materializing every Model Job once, upstream models first:", flush=True)
            runs = materialize_all(project, instance, progress=lambda line: print(f"  {line}", flush=True))
    print()
    print(summary(project, runs))
    failed = [r for r in runs if r.error]
    skipped = [r for r in runs if r.skipped]
    print(
        f"\n{len(runs) - len(failed) - len(skipped)} of {len(runs)} Model Jobs materialized"
        + (f", {len(skipped)} skipped (conditions unmet)" if skipped else "")
    )
    return 1 if failed else 0


def cmd_dev(args: argparse.Namespace) -> int:
    """Start the local Snowflake (unless a real account is configured), seed it, run dagster dev."""
    from model_jobs.compile.notifications import UI_URL_ENV
    from model_jobs.defs.instance import dagster_home

    project = load_project(args.specs)
    home = dagster_home()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    env.setdefault(UI_URL_ENV, f"http://127.0.0.1:{args.port}")  # where notifications link runs to
    server = None
    with _only_dev_on(home):
        if uses_local_snowflake():
            port = local_snowflake.configured_port()
            local_snowflake.check_port_is_ours(port)
            if not local_snowflake.is_listening(port):
                data_dir = local_snowflake.configured_data_dir()
                server = local_snowflake.start_process(port, data_dir, data_dir / "server.log")
                print(f"local Snowflake started on {local_snowflake.HOST}:{port} (data in {data_dir})")
            _seed(project)
        try:
            command = [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-p", str(args.port)]
            stops = "Ctrl+C stops it" + (" and the local Snowflake" if server is not None else "")
            print(f"model-jobs dev: the Dagster UI will be on http://127.0.0.1:{args.port} ({stops})", flush=True)
            return _run_until_stopped(command, env)
        finally:
            if server is not None:
                server.terminate()  # the server checkpoints its data as it stops
                server.wait(timeout=30)


class _Stop(Exception):
    """SIGTERM or SIGHUP reached `model-jobs dev`."""


def _raise_stop(_signum: int, _frame: object) -> None:
    raise _Stop


# How long `dagster dev` gets to stop its webserver, daemon and code servers before they are killed.
DEV_STOP_SECONDS = 60


def _run_until_stopped(command: list[str], env: dict[str, str]) -> int:
    """Run `dagster dev` in a process group of its own until it exits or this command is stopped:
    by Ctrl+C, SIGTERM (a service manager, `kill`) or SIGHUP (the terminal closed). Each is passed
    on to the whole group as Ctrl+C, which `dagster dev` answers by stopping the processes it
    started; what is still running after DEV_STOP_SECONDS is killed. Without this, a SIGTERM ended
    this process at once and left the UI, the daemon and the embedded Snowflake running."""
    # Started in the background by a non-interactive shell (`make dev &`), this process ignores
    # SIGINT, and so would `dagster dev`, which maps SIGTERM to its SIGINT handler: it would then
    # ignore both. A handler here is reset to the default in the child, so it can be stopped.
    previous = {signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler)}
    child = subprocess.Popen(command, env=env, start_new_session=True)
    previous |= {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return child.wait()
    except (KeyboardInterrupt, _Stop):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=DEV_STOP_SECONDS)
        return 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # whatever of the group did not stop
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _only_dev_on(home: Path) -> Iterator[None]:
    """One `model-jobs dev` per DAGSTER_HOME: a second would share the first's instance and its
    embedded Snowflake, and stopping the first would take the warehouse from under the second."""
    lock = home / "model-jobs-dev.pid"
    try:
        other = int(lock.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        other = None
    if other is not None and other != os.getpid() and _alive(other):
        raise CommandError(
            f"another `model-jobs dev` (pid {other}) is running on {home}: stop it first, or start this one "
            f"with its own DAGSTER_HOME, {local_snowflake.PORT_ENV} and {local_snowflake.DATA_DIR_ENV} "
            "(and --port for the UI)"
        )
    lock.write_text(str(os.getpid()), encoding="utf-8")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user's
    return True


def cmd_deploy(args: argparse.Namespace) -> int:
    from model_jobs.defs.deployments import report_deployment
    from model_jobs.defs.instance import open_instance
    from model_jobs.versioning.deploy import deploy

    root = specs_dir(args.specs)
    deployment = deploy(root, args.model, tag=args.tag, message=args.message)
    print(
        f"deployed {deployment.model} as tag {deployment.tag!r} (sha256 {deployment.sha256[:12]}) "
        f"-> {deployment.tag_file}"
    )
    project = load_project(root)
    for env in project.environments_of(deployment.model):
        job = project.job(deployment.model, env)
        how = "follows the newest tag" if job.follows_latest else "keeps its pinned tag"
        print(f"  {job.key}: runs {job.tag.name} ({how})")
    try:
        with open_instance() as instance:
            report_deployment(instance, deployment)
        print(
            f"reported to Dagster as a materialization of deployments/{deployment.model} "
            f"[{deployment.design_environment}]"
        )
    except Exception as exc:  # the tag exists either way; say what did not happen
        print(f"warning: the tag was created but the deployment event could not be reported: {exc}", file=sys.stderr)
    return 0


def cmd_report_deployment(args: argparse.Namespace) -> int:
    """Record that a deployment went live, as the REST endpoint does: Model Jobs waiting for it run."""
    from model_jobs.defs.deployments import report_named_deployment
    from model_jobs.defs.instance import open_instance

    project = load_project(args.specs)
    known = sorted(set(project.deployed_models) | set(project.specs.upstream.deployments))
    if args.name not in known:
        raise CommandError(
            f"unknown deployment {args.name!r}; known: {', '.join(known) or '(none)'} (a model, or one declared "
            "under deployments: in upstream.yaml)"
        )
    environments = args.env or list(project.specs.environments)
    unknown = [env for env in environments if env not in project.specs.environments]
    if unknown:
        raise CommandError(
            f"unknown environment {', '.join(map(repr, unknown))}; known: {', '.join(project.specs.environments)}"
        )
    with open_instance() as instance:
        for env in environments:
            report_named_deployment(instance, args.name, env, args.version, args.message)
            print(f"reported deployment {args.name}@{env}" + (f" version {args.version}" if args.version else ""))
    waiting = sorted(
        t.key
        for t in project.triggers.values()
        for s in t.on
        if s.kind == "deployment" and s.name == args.name and s.environment in environments
    )
    print(
        f"Model Jobs that run after it: {', '.join(waiting)} (started by the sensor {DISPATCHER_SENSOR})"
        if waiting
        else "no Model Job runs after it"
    )
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    project = load_project(args.specs)
    if args.env:
        _check_environment(project, args.env)
    if args.model and args.model not in project.specs.models:
        raise CommandError(f"unknown model {args.model!r}; known: {', '.join(project.specs.models)}")
    print(_plan(project, environment=args.env, model=args.model, with_diff=args.diff, with_data=args.data))
    return 0


def _plan(
    project: CompiledProject, environment: str | None, model: str | None, with_diff: bool, with_data: bool = False
) -> str:
    from model_jobs.defs.instance import open_existing_instance, running_state
    from model_jobs.versioning.plan import plan, render

    with open_existing_instance() as instance:
        lookup = functools.partial(running_state, instance) if instance is not None else None
        plans = plan(project, lookup, environment=environment, model=model)
        text = render(project, plans, with_diff=with_diff, instance_available=instance is not None)
    if with_data:
        changing = [p.job for p in plans if p.running is not None and p.sql_changes]
        text += "\n\n" + _data_of_plans(project, changing)
    return text


def _data_of_plans(project: CompiledProject, jobs: list[ResolvedJob]) -> str:
    """`plan --data`: the data diff of each job whose configured SQL is not the SQL running."""
    from model_jobs.defs.resources import environment_connection
    from model_jobs.runtime.data_diff import data_diff
    from model_jobs.runtime.statements import Statements
    from model_jobs.text_table import render_table

    if not jobs:
        return "data: no Model Job runs other SQL than it is configured to (nothing to compare)"
    rows = []
    with _local_snowflake_for_command():
        for environment in dict.fromkeys(job.environment for job in jobs):
            spec = project.specs.environments[environment]
            with environment_connection(spec, command="plan --data", environment=environment) as connection:
                for job in (j for j in jobs if j.environment == environment):
                    try:
                        keys = diff_keys(project, job, None)
                        diff = data_diff(Statements(connection.cursor()), job, keys, project.specs.sources, samples=0)
                    except ModelJobsError as exc:
                        rows.append((job.key, job.tag.name, "-", "-", "-", "-", "-", str(exc)))
                        continue
                    c = diff.counts
                    notes = []
                    if not diff.target_exists:
                        notes.append("no target yet")
                    if c["NOT_COMPARED_KEYS"] or c["DUPLICATE_KEYS_OLD"] or c["DUPLICATE_KEYS_NEW"]:
                        notes.append(
                            f"duplicate keys: {c['DUPLICATE_KEYS_OLD']} in target, {c['DUPLICATE_KEYS_NEW']} new"
                        )
                    if c["NULL_KEY_ROWS_OLD"] or c["NULL_KEY_ROWS_NEW"]:
                        notes.append(f"NULL keys: {c['NULL_KEY_ROWS_OLD']} in target, {c['NULL_KEY_ROWS_NEW']} new")
                    added, removed = list(diff.schema.only_in_new), list(diff.schema.only_in_target)
                    if added or removed or diff.schema.retyped:
                        notes.append(
                            "columns: "
                            + ", ".join([*(f"+{x}" for x in added), *(f"-{x}" for x in removed), *diff.schema.retyped])
                        )
                    rows.append(
                        (
                            job.key,
                            job.tag.name,
                            f"{c['OLD_ROWS']:,}",
                            f"{c['NEW_ROWS']:,}",
                            f"+{c['ADDED_ROWS']:,}",
                            f"-{c['REMOVED_ROWS']:,}",
                            f"~{c['CHANGED']:,}",
                            "; ".join(notes),
                        )
                    )
    header = ("model job", "configured", "target rows", "new rows", "added", "removed", "changed", "notes")
    return "data (the configured SQL against each target, read only):\n" + render_table(header, rows)


def cmd_promote(args: argparse.Namespace) -> int:
    from model_jobs.versioning.promote import promote

    root = specs_dir(args.specs)
    promotion = promote(root, args.model, args.env, args.tag)
    if promotion.changed:
        print(
            f"{promotion.file}:{promotion.line}: {promotion.model}@{promotion.environment} "
            f"tag {promotion.old_tag} -> {promotion.new_tag}"
        )
    else:
        print(f"{promotion.model}@{promotion.environment} already runs tag {promotion.new_tag}; nothing changed")
    print(_plan(load_project(root), environment=args.env, model=args.model, with_diff=True, with_data=args.data))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run Model Jobs now, through their Dagster assets, recorded in the instance like any run."""
    from model_jobs.defs.build import build_definitions
    from model_jobs.defs.headless import run_partition
    from model_jobs.defs.instance import open_instance

    project = load_project(args.specs)
    _check_environment(project, args.env)
    try:
        models = project.select(args.models, args.env)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    config = {"full_refresh": args.full_refresh, "force": args.force}
    failed: set[str] = set()
    skipped: set[str] = set()
    with _local_snowflake_for_command(), open_instance() as instance:
        defs = build_definitions(project)
        for model in models:
            job = project.job(model, args.env)
            blocked = sorted(set(job.upstream_models) & failed)
            if blocked:
                failed.add(model)
                print(f"{job.key}  skipped: upstream {', '.join(blocked)} failed")
                continue
            waiting = sorted(set(job.upstream_models) & skipped)
            if waiting:  # as in a Dagster run: what an upstream did not write is not built on
                skipped.add(model)
                print(f"{job.key}  skipped: upstream {', '.join(waiting)} was skipped")
                continue
            started = time.perf_counter()
            run = run_partition(defs, model, args.env, instance, config)
            seconds = time.perf_counter() - started
            if run.ok:
                mode = str(run.metadata.get("mode", "full"))
                forced = (
                    "  (conditions unmet, forced)"
                    if str(run.metadata.get("conditions", "")).startswith("unmet")
                    else ""
                )
                print(
                    f"{job.key}  tag {job.tag.name}  {mode}  {run.metadata['rows_written']} rows  {seconds:.1f}s  "
                    f"run {run.run_id}{forced}"
                )
            elif run.skipped:
                skipped.add(model)
                print(f"{job.key}  skipped, nothing written: {run.skipped}  (run {run.run_id}; --force runs anyway)")
            else:
                failed.add(model)
                print(f"{job.key}  FAILED after {seconds:.1f}s (run {run.run_id}):\n{run.error}")
    return 1 if failed else 0


def cmd_render(args: argparse.Namespace) -> int:
    """Print the statements a run would send, from the specs alone: no warehouse, no Dagster."""
    import json

    from model_jobs.compile.run_statements import run_statements

    project = load_project(args.specs)
    _check_environment(project, args.env)
    job = job_at_tag(project, args.model, args.env, args.tag)
    if args.full_refresh and job.incremental is None:
        raise CommandError(f"--full-refresh: {job.key} is not incremental; every run builds it in full")
    planned = run_statements(job, "full_refresh" if args.full_refresh else None)
    if args.format == "json":
        print(json.dumps(planned.to_json(), indent=2))
    else:
        print(planned.to_script(), end="")
    return 0


def diff_keys(project: CompiledProject, job: ResolvedJob, given: list[str] | None) -> tuple[str, ...]:
    """The columns a data diff matches rows by: --key, else the job's incremental unique_key,
    else the model's unique_key (model.yaml). Raises CommandError when there is none."""
    if given:
        try:
            return tuple(dict.fromkeys(normalize_identifier(k.strip()) for part in given for k in part.split(",")))
        except InvalidIdentifier as exc:
            raise CommandError(f"--key: {exc}") from exc
    if job.incremental is not None and job.incremental.unique_key:
        return job.incremental.unique_key
    declared = project.specs.models[job.model].spec.unique_key
    if declared:
        return tuple(declared)
    raise CommandError(
        f"no key to match rows of {job.key} by: pass --key COLUMN (repeat, or comma-separate, for several) or "
        f"declare unique_key in models/{job.model}/model.yaml"
    )


def cmd_diff(args: argparse.Namespace) -> int:
    """What running tag T would do to an environment's target, read only (see runtime.data_diff)."""
    import json

    from model_jobs.defs.resources import environment_connection
    from model_jobs.runtime.data_diff import data_diff, describe
    from model_jobs.runtime.statements import Statements

    project = load_project(args.specs)
    _check_environment(project, args.env)
    if args.samples < 0:
        raise CommandError("--samples must be 0 or more")
    job = job_at_tag(project, args.model, args.env, args.tag)
    keys = diff_keys(project, job, args.key)
    with (
        _local_snowflake_for_command(),
        environment_connection(
            job.environment_spec, command="diff", model=job.model, environment=job.environment, tag=job.tag.name
        ) as connection,
    ):
        diff = data_diff(Statements(connection.cursor()), job, keys, project.specs.sources, args.samples)
    if args.format == "json":
        print(json.dumps(diff.to_json(), indent=2, default=str))
    else:
        print(describe(diff), end="")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from model_jobs.specs.json_schema import main_schema

    return main_schema(Path(args.out))


def cmd_webhook_receiver(args: argparse.Namespace) -> int:
    """Print what notifications POST to this machine (docs/notifications.md: try it in the demo)."""
    from model_jobs.demo.webhook_receiver import serve

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how it stops
        serve(args.port)
    return 0


# What `model-jobs COMMAND --help` ends with; each line must parse (a test checks).
EXAMPLES = {
    "validate": ["model-jobs validate", "model-jobs validate path/to/job_specs"],
    "local-snowflake": ["model-jobs local-snowflake --port 8765 --data-dir .local_snowflake"],
    "deploy": ['model-jobs deploy orders_enriched --tag 2026.3 --message "count items per order"'],
    "plan": [
        "model-jobs plan",
        "model-jobs plan --env marketing_prd --model orders_enriched --diff",
        "model-jobs plan --env marketing_prd --data",
    ],
    "promote": [
        "model-jobs promote orders_enriched --env marketing_prd --tag 2026.2",
        "model-jobs promote orders_enriched --env marketing_prd --tag 2026.2 --data",
    ],
    "report-deployment": ["model-jobs report-deployment crm_service --env marketing_prd --version 4.2.0"],
    "run": [
        "model-jobs run customers_dim --env marketing_dev",
        "model-jobs run +customer_ltv --env marketing_prd",
        "model-jobs run order_status --env marketing_prd --full-refresh --force",
    ],
    "render": [
        "model-jobs render orders_enriched --env marketing_prd",
        "model-jobs render orders_enriched --env marketing_prd --tag 2026.2 --format json",
        "model-jobs render order_status --env marketing_prd --full-refresh",
    ],
    "diff": [
        "model-jobs diff orders_enriched --env marketing_prd --tag 2026.2",
        "model-jobs diff order_status --env sandbox --key ORDER_ID --samples 10 --format json",
    ],
    "load-orders": ["model-jobs load-orders --env marketing_prd --orders 50"],
    "schema": ["model-jobs schema --out schemas"],
    "seed": ["model-jobs seed"],
    "demo": ["model-jobs demo"],
    "dev": ["model-jobs dev --port 3000"],
    "webhook-receiver": ["model-jobs webhook-receiver --port 8799"],
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="model-jobs", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error, not only its message")
    commands = parser.add_subparsers(dest="command", required=True)
    specs_help = f"job_specs folder (default: ${SPECS_DIR_ENV} or ./job_specs)"

    validate = commands.add_parser("validate", help="check the specs; print every error; exit 1 if any")
    validate.add_argument("path", nargs="?", help=specs_help)
    validate.set_defaults(func=cmd_validate)

    local = commands.add_parser("local-snowflake", help="run the embedded local Snowflake in the foreground")
    local.add_argument(
        "--port", type=int, help=f"default: ${local_snowflake.PORT_ENV} or {local_snowflake.DEFAULT_PORT}"
    )
    local.add_argument(
        "--data-dir", help=f"default: ${local_snowflake.DATA_DIR_ENV} or {local_snowflake.DEFAULT_DATA_DIR}"
    )
    local.set_defaults(func=cmd_local_snowflake)

    deploy = commands.add_parser("deploy", help="snapshot a model's model.sql as a new immutable tag")
    deploy.add_argument("model")
    deploy.add_argument(
        "--tag", help="name of the new tag (letters, digits, '.', '_', '-'); required once the model has tags"
    )
    deploy.add_argument("--message", help="why this version exists (kept in tags.lock)")
    deploy.add_argument("--specs", default=None, help=specs_help)
    deploy.set_defaults(func=cmd_deploy)

    plan = commands.add_parser("plan", help="configured vs running vs newest tag of every Model Job")
    plan.add_argument("--env", help="only this environment")
    plan.add_argument("--model", help="only this model")
    plan.add_argument("--diff", action="store_true", help="show the SQL diff running -> configured")
    plan.add_argument(
        "--data",
        action="store_true",
        help="also diff the data: what each job whose configured SQL differs from the running one would change",
    )
    plan.add_argument("--specs", default=None, help=specs_help)
    plan.set_defaults(func=cmd_plan)

    promote = commands.add_parser("promote", help="set the tag of one Model Job (edits its spec file)")
    promote.add_argument("model")
    promote.add_argument("--env", required=True)
    promote.add_argument("--tag", required=True)
    promote.add_argument(
        "--data", action="store_true", help="also show what the promoted SQL would change in the target (read only)"
    )
    promote.add_argument("--specs", default=None, help=specs_help)
    promote.set_defaults(func=cmd_promote)

    report = commands.add_parser(
        "report-deployment", help="record that a deployment went live; Model Jobs triggered by it run"
    )
    report.add_argument("name", help="a model, or a deployment declared in upstream.yaml")
    report.add_argument(
        "--env", action="append", help="the environment it went live in (repeat for several; default: every one)"
    )
    report.add_argument("--version", help="the version that went live (kept in the event's metadata)")
    report.add_argument("--message", help="a line describing the deployment")
    report.add_argument("--specs", default=None, help=specs_help)
    report.set_defaults(func=cmd_report_deployment)

    run = commands.add_parser("run", help="run Model Jobs now (recorded in the Dagster instance, shown in the UI)")
    run.add_argument("models", nargs="+", metavar="MODEL", help="a model, or +model for it and its upstream models")
    run.add_argument("--env", required=True, help="the environment whose Model Jobs run")
    run.add_argument("--full-refresh", action="store_true", help="rebuild incremental targets fully")
    run.add_argument(
        "--force", action="store_true", help="run even when conditions are unmet (the materialization records it)"
    )
    run.add_argument("--specs", default=None, help=specs_help)
    run.set_defaults(func=cmd_run)

    render = commands.add_parser(
        "render", help="print the exact statements a run of a Model Job would send (no warehouse connection)"
    )
    render.add_argument("model")
    render.add_argument("--env", required=True, help="the environment whose Model Job it is")
    render.add_argument("--tag", help="render this tag instead of the configured one (latest: the newest)")
    render.add_argument(
        "--full-refresh", action="store_true", help="an incremental job's full refresh (default: an incremental run)"
    )
    render.add_argument("--format", choices=["sql", "json"], default="sql", help="sql (default) or json, for tools")
    render.add_argument("--specs", default=None, help=specs_help)
    render.set_defaults(func=cmd_render)

    diff = commands.add_parser(
        "diff", help="read-only data diff: what a tag's SQL would change in an environment's target"
    )
    diff.add_argument("model")
    diff.add_argument("--env", required=True, help="the environment whose target is compared")
    diff.add_argument(
        "--tag", help="the tag whose SQL is run, mapped for the environment (default: the configured tag)"
    )
    diff.add_argument(
        "--key",
        action="append",
        help="column(s) that identify a row (default: the job's incremental unique_key, else model.yaml's unique_key)",
    )
    diff.add_argument("--samples", type=int, default=5, help="sample keys shown per kind of difference (default: 5)")
    diff.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or json, for tools")
    diff.add_argument("--specs", default=None, help=specs_help)
    diff.set_defaults(func=cmd_diff)

    load = commands.add_parser(
        "load-orders",
        help="append new demo orders, loaded now, to an environment's orders source (makes it fresh and changed)",
    )
    load.add_argument("--env", required=True, help="the environment whose orders source gets them")
    load.add_argument("--orders", type=int, default=20, help="how many (default: 20)")
    load.add_argument("--specs", default=None, help=specs_help)
    load.set_defaults(func=cmd_load_orders)

    schema = commands.add_parser("schema", help="write JSON Schemas of the spec files (editor support)")
    schema.add_argument("--out", default="schemas", help="folder to write them to (default: schemas)")
    schema.set_defaults(func=cmd_schema)

    receiver = commands.add_parser(
        "webhook-receiver", help="print the notifications POSTed to http://127.0.0.1:PORT/ (try notify: locally)"
    )
    receiver.add_argument("--port", type=int, default=8799, help="port to listen on (default: 8799)")
    receiver.set_defaults(func=cmd_webhook_receiver)

    for name, func, help_text in [
        ("seed", cmd_seed, "load the demo data into the warehouse (idempotent)"),
        ("demo", cmd_demo, "materialize every Model Job once and print a summary"),
        ("dev", cmd_dev, "start the local Snowflake, seed it and run dagster dev"),
    ]:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--specs", default=None, help=specs_help)
        if name == "dev":
            sub.add_argument("--port", type=int, default=3000, help="Dagster UI port")
        sub.set_defaults(func=func)
    for name, sub in commands.choices.items():
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
        sub.epilog = "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[name])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ModelJobsError as exc:
        if args.debug:
            raise
        # Spec errors name their files themselves; other messages say which command refused.
        print(str(exc) if isinstance(exc, SpecErrors) else f"model-jobs {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader stopped early (`model-jobs render .. | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # what we did not foresee (a lost connection, a full disk): no traceback either
        if args.debug:
            raise
        first_line = (str(exc).strip().splitlines() or [""])[0]
        print(
            f"model-jobs {args.command}: {type(exc).__name__}: {first_line}\n"
            "(an unexpected error: `model-jobs --debug ...` shows where it came from)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
