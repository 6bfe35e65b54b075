"""The table-reference cache: a second load parses nothing, and the cache can never change what
a load finds."""

from __future__ import annotations

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


def test_quoted_lower_case_names_survive_the_cache(tmp_path):
    cache = ReferenceCache(tmp_path / "refs.json")
    sql = 'SELECT * FROM "raw_db"."events"."page views"'
    parsed = cache.parse(sql, "abc")
    cache.save()
    again = ReferenceCache(tmp_path / "refs.json").parse(sql, "abc")
    assert again.tables == parsed.tables
    assert again.tables[0].parts == ("raw_db", "events", "page views")


@pytest.mark.parametrize("content", ["not json", '{"abc": "DB.S.T"}', '{"abc": [["A", "B"]]}', "[1, 2]"])
def test_unreadable_cache_is_ignored(tmp_path, content):
    path = tmp_path / "refs.json"
    path.write_text(content)
    parsed = ReferenceCache(path).parse("SELECT * FROM DB.S.T", "abc")
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
        cache.parse("SELECT FROM WHERE (", "bad")
    cache.save()
    assert not (tmp_path / "refs.json").exists() or "bad" not in json.loads((tmp_path / "refs.json").read_text())
