"""The JSON Schemas published for editors: generated from the spec models, committed under
schemas/, referenced by every demo spec file, and saying what the loader says about each value."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from model_jobs.specs import models
from model_jobs.specs.json_schema import (
    DRAFT,
    SCHEMA_FILES,
    main_schema,
    schema_for,
    write_schemas,
)

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
DEMO_SPECS = REPO / "job_specs"
MODELINE = "# yaml-language-server: $schema="


def _schema(name: str) -> dict:
    return schema_for(SCHEMA_FILES[name])


def _objects(schema: dict) -> list[tuple[str, dict]]:
    """Every object schema with properties: the file itself and each definition."""
    found = [("<root>", schema)]
    found += [(name, definition) for name, definition in schema.get("$defs", {}).items()]
    return [(name, s) for name, s in found if "properties" in s]


# --- the committed files ------------------------------------------------------------------------


def test_committed_schemas_match_the_spec_models(tmp_path):
    write_schemas(tmp_path)
    generated = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMAS.glob("*.json")}
    stale = sorted(n for n in generated.keys() | committed.keys() if generated.get(n) != committed.get(n))
    assert not stale, f"schemas/ is out of date with the spec models ({', '.join(stale)}): run `model-jobs schema`"


def test_write_schemas_is_deterministic_pretty_json(tmp_path):
    first = write_schemas(tmp_path / "a")
    second = write_schemas(tmp_path / "b")
    assert [p.name for p in first] == list(SCHEMA_FILES)
    for a, b in zip(first, second, strict=True):
        text = a.read_text(encoding="utf-8")
        assert text == b.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_main_schema_prints_each_file_written(tmp_path, capsys):
    assert main_schema(tmp_path / "out") == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [str(tmp_path / "out" / name) for name in SCHEMA_FILES]
    assert all(Path(p).is_file() for p in printed)


# --- what the schemas say -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCHEMA_FILES))
def test_schema_names_its_draft_and_file(name):
    schema = _schema(name)
    assert schema["$schema"] == DRAFT == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"].startswith("model-jobs ") and schema["title"].endswith(".yaml")
    assert schema["description"]


@pytest.mark.parametrize("name", list(SCHEMA_FILES))
def test_every_object_is_strict_and_every_field_described(name):
    for where, obj in _objects(_schema(name)):
        assert obj["additionalProperties"] is False, f"{name} {where}: unknown fields must be flagged"
        for field, spec in obj["properties"].items():
            assert spec.get("description"), f"{name} {where}.{field} has no description"


def test_unknown_key_in_a_job_is_not_allowed():
    job = _schema("jobs.schema.json")["$defs"]["JobSpec"]
    assert job["additionalProperties"] is False
    assert sorted(job["properties"]) == [
        "conditions",
        "freshness",
        "incremental",
        "source_mapping",
        "tag",
        "target",
        "trigger",
    ]  # so `schedule:` is flagged
    assert job["required"] == ["tag"]


@pytest.mark.parametrize(
    ("name", "field"), [("environments.schema.json", "environments"), ("jobs.schema.json", "jobs")]
)
def test_environment_names_are_checked_as_keys(name, field):
    keyed = _schema(name)["properties"][field]
    assert keyed["minProperties"] == 1
    assert "patternProperties" not in keyed  # it would let a non-matching key through unchecked
    pattern = keyed["propertyNames"]["pattern"]
    for bad in ["Sandbox", "my sandbox", "sandbox-eu", "1sandbox"]:
        assert not re.search(pattern, bad), bad
    for good in ["sandbox", "marketing_prd"]:
        assert re.search(pattern, good), good
    assert keyed["additionalProperties"]["$ref"].startswith("#/$defs/")


def test_tags_must_be_strings_so_unquoted_numbers_are_flagged():
    tag = _schema("jobs.schema.json")["$defs"]["JobSpec"]["properties"]["tag"]
    assert tag["type"] == "string"
    assert "latest" in tag["examples"]


def test_column_types_offer_the_known_types():
    columns = _schema("sources.schema.json")["$defs"]["SourceSpec"]["properties"]["columns"]
    assert columns["additionalProperties"]["examples"] == sorted(models.TYPE_FAMILIES)
    assert "pattern" in columns["propertyNames"]


# Values for each constrained type: the schema's pattern must accept exactly what the loader
# accepts, so an editor neither flags a valid spec nor misses an invalid one.
SAMPLES = {
    "Identifier": ["MARTS", "marts", "_X$1", "1ABC", "A-B", "A B", "", "A" * 255, "A" * 256, "DB.SCHEMA"],
    "EnvironmentName": ["sandbox", "marketing_prd", "s1", "Sandbox", "1sandbox", "sandbox-eu", "", "a" * 64],
    "TagRef": ["latest", "2026.1", "sprint-41", "v_2", "sprint 41", "", "a/b", "x" * 64, "x" * 65],
    "Owner": ["team:marketing", "team:data eng", "ana@example.com", "ana.lytics", "team:", "a@b", "@x.io"],
    "GroupName": ["marketing", "Model_Jobs2", "my-group", "", "a b"],
    "ColumnType": [
        "NUMBER",
        "number",
        "NUMBER(10,2)",
        "NUMBER (38, 0)",
        " VARCHAR(100) ",
        "DOUBLE PRECISION",
        "timestamp_ntz",
        "VARCHR",
        "NUMBER(10,2) X",
        "(10)",
        "DOUBLE  PRECISION",
        "TIMESTAMP WITH TIME ZONE",
    ],
    "TableRef": ["A.B.C", "db.schema.t$1", "A.B", "A.B.C.D", "A..C", "A.B.1C"],
    "Location": ["A", "A.B", "A.B.C", "A.B.C.D", "", "A.", ".A", "A.B C"],
}


@pytest.mark.parametrize("type_name", list(SAMPLES))
def test_schema_patterns_agree_with_the_validators(type_name):
    adapter = TypeAdapter(getattr(models, type_name))
    pattern = adapter.json_schema()["pattern"]
    verdicts = []
    for value in SAMPLES[type_name]:
        try:
            adapter.validate_python(value)
            accepted = True
        except ValidationError:
            accepted = False
        verdicts.append(accepted)
        assert bool(re.search(pattern, value)) == accepted, f"{value!r}: loader accepts={accepted}"
    assert True in verdicts and False in verdicts, "samples must include accepted and rejected values"


def test_model_name_pattern_is_the_model_folder_rule():
    model = _schema("jobs.schema.json")["properties"]["model"]
    assert model["pattern"] == models.MODEL_NAME.pattern


# --- the demo files point at them ---------------------------------------------------------------


def _expected_schema(spec: Path) -> str:
    rel = spec.relative_to(DEMO_SPECS)
    if rel.parts[0] == "jobs":
        return "jobs.schema.json"
    if rel.parts[0] == "models" and rel.name == "model.yaml":
        return "model.schema.json"
    return {
        "environments.yaml": "environments.schema.json",
        "sources.yaml": "sources.schema.json",
        "upstream.yaml": "upstream.schema.json",
    }[rel.as_posix()]


DEMO_YAML = sorted(DEMO_SPECS.rglob("*.yaml"))


def test_demo_has_every_kind_of_spec_file():
    assert {_expected_schema(p) for p in DEMO_YAML} == set(SCHEMA_FILES)


@pytest.mark.parametrize("spec", DEMO_YAML, ids=lambda p: p.relative_to(DEMO_SPECS).as_posix())
def test_demo_spec_starts_with_its_schema_comment(spec):
    first = spec.read_text(encoding="utf-8").splitlines()[0]
    expected = os.path.relpath(SCHEMAS / _expected_schema(spec), spec.parent).replace(os.sep, "/")
    assert first == f"{MODELINE}{expected}"
    assert (spec.parent / first.removeprefix(MODELINE)).resolve() == SCHEMAS / _expected_schema(spec)
    assert (SCHEMAS / _expected_schema(spec)).is_file()
