"""Remember which tables each tag's SQL reads, keyed by the SQL's sha256.

Parsing every tag is most of the time a code location takes to load. Tags are immutable and the
tables a query reads are a pure function of its text, of sqlglot and of references.py, so the
answer is cached on disk under a key made of all three: a new sqlglot or a change to how
references are found starts a fresh cache. SQL that fails to parse is never cached. The cache is
only an accelerator: when it cannot be read or written, everything is parsed as before.

Location: $MODEL_JOBS_CACHE_DIR, else $XDG_CACHE_HOME/model-jobs, else ~/.cache/model-jobs.
MODEL_JOBS_CACHE_DIR=off turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import sqlglot

from model_jobs.compile import references
from model_jobs.compile.references import ParsedSql, parse_model_sql
from model_jobs.identifiers import TableName

CACHE_DIR_ENV = "MODEL_JOBS_CACHE_DIR"


def _cache_key() -> str:
    source = Path(references.__file__).read_bytes()
    # sqlglot imports __version__ from its generated _version module without re-exporting it.
    version: str = sqlglot.__version__  # type: ignore[attr-defined]
    return hashlib.sha256(version.encode() + b"\0" + source).hexdigest()[:16]


def default_cache_file() -> Path | None:
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured == "off":
        return None
    if configured:
        directory = Path(configured)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        directory = Path(base) / "model-jobs"
    return directory / f"table-references-{_cache_key()}.json"


class ReferenceCache:
    def __init__(self, path: Path | None):
        self.path = path
        self._entries: dict[str, list[list[str]]] = {}
        self._dirty = False
        if path is not None:
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self._entries = loaded
            except (OSError, ValueError):
                self._entries = {}  # unreadable or corrupt: start empty, everything gets parsed

    def parse(self, sql: str, sha256: str) -> ParsedSql:
        """The tables `sql` reads: from the cache when known, else parsed (and remembered)."""
        cached = self._entries.get(sha256)
        # Parts are kept as written (a quoted name may be lower case), not re-validated.
        if isinstance(cached, list) and all(
            isinstance(p, list) and len(p) == 3 and all(isinstance(x, str) for x in p) for p in cached
        ):
            return ParsedSql(sql, tuple(TableName(*parts) for parts in cached))
        tables = parse_model_sql(sql).tables
        self._entries[sha256] = [list(t.parts) for t in tables]
        self._dirty = True
        # The syntax tree is dropped: thousands of them held from load to run slow every later
        # garbage collection, and the one a run needs is parsed again in a millisecond.
        return ParsedSql(sql, tables)

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: concurrent loaders (webserver, daemon, run workers) never see a
            # half-written file.
            with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False, suffix=".tmp") as tmp:
                json.dump(self._entries, tmp)
            os.replace(tmp.name, self.path)
            self._dirty = False
        except OSError:
            return  # read-only or full disk: no cache this time, the next load parses again
