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
from typing import Any

import sqlglot
from sqlglot import TokenType

from model_jobs.compile import references
from model_jobs.compile.references import ParsedSql, parse_model_sql
from model_jobs.identifiers import DIALECT, TableName

CACHE_DIR_ENV = "MODEL_JOBS_CACHE_DIR"


def _cache_key() -> str:
    source = Path(references.__file__).read_bytes()
    # sqlglot imports __version__ from its generated _version module without re-exporting it.
    version: str = sqlglot.__version__  # type: ignore[attr-defined]
    return hashlib.sha256(version.encode() + b"\0" + source).hexdigest()[:16]


def cache_directory() -> Path | None:
    """Where model-jobs caches what it derives from tags' SQL; None when caching is off."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "model-jobs"


def default_cache_file() -> Path | None:
    directory = cache_directory()
    return directory / f"table-references-{_cache_key()}.json" if directory else None


_NAME_TOKENS = (TokenType.VAR, TokenType.IDENTIFIER)


def _dotted_names(sql: str) -> set[TableName]:
    """Every three-part dotted name in the SQL's tokens, canonical: a superset of the tables it
    reads (a three-part column reference is one too). Tokenizing costs a fifth of parsing."""
    tokens = sqlglot.tokenize(sql, read=DIALECT)
    names = set()
    for i in range(len(tokens) - 4):
        first, dot, second, dot2, third = tokens[i : i + 5]
        if dot.token_type == TokenType.DOT == dot2.token_type and all(
            t.token_type in _NAME_TOKENS for t in (first, second, third)
        ):
            names.add(
                TableName(
                    *(
                        t.text if t.token_type == TokenType.IDENTIFIER else t.text.upper()
                        for t in (first, second, third)
                    )
                )
            )
    return names


def _all_spelled_out(tables: tuple[TableName, ...], sql: str) -> bool:
    """Whether the SQL names each table. Usually as DB.SCHEMA.TABLE in one piece, found by a
    search of the text (a microsecond); only quoted or spaced names need the tokens (a fifth of
    a parse), which made verifying every entry cost a third of a warm load."""
    upper = sql.upper()
    return all(_names(upper, str(table)) or table in _dotted_names(sql) for table in tables)


def _names(text: str, name: str) -> bool:
    """`name` occurs in `text` as a whole name (not inside a longer one)."""
    start = text.find(name)
    while start != -1:
        end = start + len(name)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before in "_$") and not (after.isalnum() or after in "_$"):
            return True
        start = text.find(name, start + 1)
    return False


class ReferenceCache:
    def __init__(self, path: Path | None):
        self.path = path
        self._entries: dict[str, list[list[str]]] = load_json(path)
        self._dirty = False

    def parse(self, sql: str) -> ParsedSql:
        """The tables `sql` reads: from the cache when known and plausible, else parsed (and
        remembered). Entries are keyed by the SQL's own sha256, computed here."""
        key = hashlib.sha256(sql.encode("utf-8")).hexdigest()
        cached = self._entries.get(key)
        if isinstance(cached, list) and all(
            isinstance(p, list) and len(p) == 3 and all(isinstance(x, str) for x in p) for p in cached
        ):
            tables = tuple(TableName(*parts) for parts in cached)
            # An entry must name only tables the SQL spells out: a planted or stale entry is parsed
            # again instead. (One that leaves a table out cannot make a run read it unmapped:
            # remap_tables refuses a table it has no location for.)
            if _all_spelled_out(tables, sql):
                return ParsedSql(sql, tables)
        tables = parse_model_sql(sql).tables
        self._entries[key] = [list(t.parts) for t in tables]
        self._dirty = True
        # The syntax tree is dropped: thousands of them held from load to run slow every later
        # garbage collection, and the one a run needs is parsed again in a millisecond.
        return ParsedSql(sql, tables)

    def save(self) -> None:
        if self.path is not None and self._dirty:
            self._dirty = not save_json(self.path, self._entries)


def load_json(path: Path | None) -> dict[str, Any]:
    """A cache file's entries; empty when there is none, or it is unreadable or corrupt (then
    everything is computed again)."""
    if path is None:
        return {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def save_json(path: Path, entries: object) -> bool:
    """Write a cache file whole or not at all; False when it could not be written (read-only or
    full disk: no cache this time, the next load computes again)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: concurrent loaders (webserver, daemon, run workers) never see a
        # half-written file.
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
            json.dump(entries, tmp)
        os.replace(tmp.name, path)
    except OSError:
        return False
    return True
