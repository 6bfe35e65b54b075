"""The table-reference cache: a second load parses nothing, and the cache can never change what
a load finds."""

from __future__ import annotations

import hashlib
import json

import pytest

from model_jobs.compile import reference_cache
from model_jobs.compile.reference_cache import (
    CACHE_DIR_ENV,
    ReferenceCache,
    default_cache_file,
)
from model_jobs.project import load_project
from model_jobs_tests.conftest import DEMO_SPECS


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def refuse_to_parse(monkeypatch):
    def fail(sql):
        raise AssertionError("parsed although the tables were cached")

    monkeypatch.setattr(reference_cache, "parse_model_sql", fail)


def test_second_load_uses_the_cache_and_compiles_the_same_sql(cache_dir, monkeypatch):
    first = load_project(DEMO_SPECS)
    assert default_cache_file().is_file()
    refuse_to_parse(monkeypatch)
    second = load_project(DEMO_SPECS)
    monkeypatch.undo()
    for key, job in first.jobs.items():
        assert second.jobs[key].sources == job.sources
        # The syntax tree is parsed lazily when the SQL is needed: same statement.
        assert second.jobs[key].create_sql == job.create_sql


def test_quoted_names_survive_the_cache(tmp_path):
    cache = ReferenceCache(tmp_path / "refs.json")
    sql = 'SELECT * FROM "RAW_DB"."EVENTS"."PAGE_VIEWS"'
    parsed = cache.parse(sql)
    cache.save()
    again = ReferenceCache(tmp_path / "refs.json").parse(sql)
    assert again.tables == parsed.tables
    assert again.tables[0].parts == ("RAW_DB", "EVENTS", "PAGE_VIEWS")


def test_a_planted_entry_is_not_trusted(tmp_path, monkeypatch):
    """A well-formed entry under the SQL's own hash that names a table the SQL does not read is
    parsed again, and the parse overwrites it."""
    sql = "SELECT * FROM DB.S.T"
    key = hashlib.sha256(sql.encode()).hexdigest()
    path = tmp_path / "refs.json"
    path.write_text(json.dumps({key: [["DB", "S", "T"], ["SECRETS", "PRD", "PASSWORDS"]]}))
    cache = ReferenceCache(path)
    assert [str(t) for t in cache.parse(sql).tables] == ["DB.S.T"]
    cache.save()
    assert json.loads(path.read_text())[key] == [["DB", "S", "T"]]


def test_an_entry_is_found_by_the_sql_itself_not_by_a_name_given(tmp_path):
    path = tmp_path / "refs.json"
    cache = ReferenceCache(path)
    cache.parse("SELECT * FROM DB.S.T")
    cache.save()
    entries = json.loads(path.read_text())
    assert list(entries) == [hashlib.sha256(b"SELECT * FROM DB.S.T").hexdigest()]


@pytest.mark.parametrize("content", ["not json", '{"abc": "DB.S.T"}', '{"abc": [["A", "B"]]}', "[1, 2]"])
def test_unreadable_cache_is_ignored(tmp_path, content):
    path = tmp_path / "refs.json"
    path.write_text(content)
    parsed = ReferenceCache(path).parse("SELECT * FROM DB.S.T")
    assert [str(t) for t in parsed.tables] == ["DB.S.T"]


def test_cache_file_is_keyed_by_sqlglot_version_and_reference_code(cache_dir, monkeypatch):
    before = default_cache_file()
    monkeypatch.setattr(reference_cache.sqlglot, "__version__", "0.0.0-other")
    assert default_cache_file() != before
    assert default_cache_file().parent == before.parent == cache_dir


def test_cache_can_be_turned_off(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_DIR_ENV, "off")
    assert default_cache_file() is None
    load_project(DEMO_SPECS)  # still loads, parsing everything


def test_parse_errors_are_not_cached(tmp_path):
    cache = ReferenceCache(tmp_path / "refs.json")
    with pytest.raises(ValueError, match="does not parse"):
        cache.parse("SELECT FROM WHERE (")
    cache.save()
    assert not (tmp_path / "refs.json").exists() or "bad" not in json.loads((tmp_path / "refs.json").read_text())
