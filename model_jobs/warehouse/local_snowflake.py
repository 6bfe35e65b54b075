"""The embedded local Snowflake: a fakesnow server on 127.0.0.1 that keeps its data on disk.

Every client (webserver, daemon, run workers, tests) talks to it with the real Snowflake
connector over HTTP, so the code path is the one production uses.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from model_jobs.errors import ConfigurationError

if TYPE_CHECKING:
    from fakesnow.instance import FakeSnow
    from starlette.applications import Starlette

PORT_ENV = "MODEL_JOBS_LOCAL_SNOWFLAKE_PORT"
DATA_DIR_ENV = "MODEL_JOBS_LOCAL_SNOWFLAKE_DIR"
DEFAULT_PORT = 8765
DEFAULT_DATA_DIR = ".local_snowflake"
HOST = "127.0.0.1"


def configured_port() -> int:
    raw = os.environ.get(PORT_ENV)
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigurationError(f"{PORT_ENV}={raw!r} is not a TCP port number (1-65535)")
    return int(raw)


def configured_data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


IDENTITY_PATH = "/model-jobs/local-snowflake"  # answers who serves a port: ours, and with which data
CHECKPOINT_EVERY_SECONDS = 300.0


def _app(data_dir: Path | None) -> tuple[Starlette, FakeSnow]:
    # fakesnow's package exports a function named `server` and has a submodule of the same
    # name; import_module returns the submodule whichever was bound first.
    server_module = importlib.import_module("fakesnow.server")
    # fakesnow logs every login and statement at INFO, and DuckDB warns on every Arrow result.
    logging.getLogger("fakesnow.server").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)
    from fakesnow.instance import FakeSnow
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    # The built-in db_path options do not hold across connections; sharing one FakeSnow that
    # attaches its databases under data_dir does, and survives restarts.
    shared = FakeSnow(db_path=str(data_dir) if data_dir is not None else None)
    if data_dir is not None:
        _keep_metadata_on_disk(shared, data_dir / GLOBAL_FILE)
    # fakesnow attaches a database file only when a statement creates it; re-attach the files of
    # earlier runs so their databases are there after a restart.
    for db_file in sorted(data_dir.glob("*.db")) if data_dir is not None else []:
        shared.connect(database=db_file.stem).close()
    server_module.shared_fs = shared  # type: ignore[attr-defined]  # fakesnow.server's global, replaced on purpose
    app = cast("Starlette", server_module.app)  # import_module returns an untyped module
    identity = {
        "server": "model-jobs local snowflake",
        "pid": os.getpid(),
        "data_dir": str(data_dir.resolve()) if data_dir is not None else None,
    }

    async def who(_request: Request) -> JSONResponse:
        return JSONResponse(identity)

    if not any(getattr(route, "path", None) == IDENTITY_PATH for route in app.router.routes):
        app.router.routes.append(Route(IDENTITY_PATH, who, methods=["GET"]))
    return app, shared


# fakesnow keeps what INFORMATION_SCHEMA adds to DuckDB's catalog (table comments, among them the
# tag and SQL sha256 every target records) in a global database it holds in memory, so it was
# lost at every restart, and each incremental target was rebuilt once. It lives in this file of
# the data folder instead (not *.db: those are the warehouse's databases).
GLOBAL_FILE = "_fs_global.duckdb"


def _keep_metadata_on_disk(shared: FakeSnow, path: Path) -> None:
    from fakesnow import info_schema
    from fakesnow.instance import GLOBAL_DATABASE_NAME
    from fakesnow.transforms import show

    connection = shared.duck_conn
    connection.execute(f"DETACH {GLOBAL_DATABASE_NAME}")
    connection.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS {GLOBAL_DATABASE_NAME}")
    connection.execute(info_schema.fs_global_creation_sql())  # CREATE .. IF NOT EXISTS: kept when present
    connection.execute(show.fs_global_creation_sql())


def checkpoint(shared: FakeSnow) -> None:
    """Write every attached database's WAL into its file. Without it the data lives in a growing
    WAL that each start replays (restarts took 8-12 s); a checkpoint that meets a busy database
    is skipped, the next one catches up."""
    import duckdb

    rows = shared.duck_conn.execute(
        "SELECT database_name FROM duckdb_databases() WHERE NOT internal AND path IS NOT NULL"
    ).fetchall()
    for (name,) in rows:
        try:
            shared.duck_conn.execute("CHECKPOINT " + '"' + str(name).replace('"', '""') + '"')
        except duckdb.Error:
            continue


class _CheckpointOnShutdown:
    """The ASGI app, checkpointing the databases when the server shuts down."""

    def __init__(self, app: Starlette, shared: FakeSnow, stop: threading.Event) -> None:
        self.app, self.shared, self.stop = app, shared, stop

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)

        async def send_then_checkpoint(message: Any) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                self.stop.set()
                checkpoint(self.shared)
            await send(message)

        return await self.app(scope, receive, send_then_checkpoint)


def _checkpoint_periodically(shared: FakeSnow, stop: threading.Event) -> None:
    while not stop.wait(CHECKPOINT_EVERY_SECONDS):
        checkpoint(shared)


def server_on(port: int) -> dict[str, object] | None:
    """What the embedded Snowflake on `port` says about itself; None when whatever listens there
    is not one (another program, or none)."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{IDENTITY_PATH}", timeout=3) as response:
            answer = json.loads(response.read())
    except (OSError, ValueError):
        return None
    return answer if isinstance(answer, dict) and answer.get("server") == "model-jobs local snowflake" else None


def check_port_is_ours(port: int) -> None:
    """Raise when something other than the embedded Snowflake listens on `port`."""
    if is_listening(port) and server_on(port) is None:
        raise ConfigurationError(
            f"port {port} on {HOST} is taken by another program, not the embedded Snowflake: stop it, "
            f"or set {PORT_ENV} to a free port"
        )


def is_listening(port: int, host: str = HOST) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_until_listening(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not is_listening(port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the local Snowflake did not start on {HOST}:{port} within {timeout:.0f}s")
        time.sleep(0.1)


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])  # (host, port) of an AF_INET socket


def serve(port: int, data_dir: Path) -> None:
    """Run the server in the foreground until interrupted."""
    import uvicorn

    app, shared = _app(data_dir)
    stop = threading.Event()
    threading.Thread(target=_checkpoint_periodically, args=(shared, stop), daemon=True).start()
    # uvicorn ends the process by re-raising SIGTERM after its graceful shutdown, so code after
    # uvicorn.run would not run: the checkpoint happens in the shutdown step of the ASGI lifespan.
    uvicorn.run(_CheckpointOnShutdown(app, shared, stop), host=HOST, port=port, log_level="warning")


@contextlib.contextmanager
def running_in_thread(port: int | None = None, data_dir: Path | None = None) -> Iterator[int]:
    """Serve from a thread of this process (tests, one-shot demo); yields the port."""
    import uvicorn

    port = port or free_port()
    app, shared = _app(data_dir)
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="local-snowflake", daemon=True)
    thread.start()
    try:
        wait_until_listening(port)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        checkpoint(shared)


def start_process(port: int, data_dir: Path, log_file: Path) -> subprocess.Popen[bytes]:
    """Serve from a child process (make dev), so Dagster's processes can all reach it."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            # This module, not the CLI: the server needs neither Dagster nor the specs.
            [sys.executable, "-m", __name__, "--port", str(port), "--data-dir", str(data_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_listening(port)
    except TimeoutError:
        process.terminate()
        raise
    return process


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Run the embedded local Snowflake in the foreground.")
    parser.add_argument("--port", type=int, default=configured_port())
    parser.add_argument("--data-dir", default=str(configured_data_dir()))
    args = parser.parse_args(argv)
    print(f"local Snowflake on {HOST}:{args.port}, data in {args.data_dir}", flush=True)
    serve(args.port, Path(args.data_dir))


if __name__ == "__main__":
    main()
