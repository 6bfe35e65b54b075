"""Files no one should write, that someone will: each is a spec error naming the file (and the
line where there is one); none crashes, hangs or exhausts the loader."""

from __future__ import annotations

import os

import pytest

from model_jobs.cli import main
from model_jobs_tests.specs.spec_edits import edit, only_error

BILLION_LAUGHS = (
    "model: customers_dim\n"
    'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
    "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
    "i: [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
)
ALIASES = "invalid YAML: aliases (*name) are not supported in specs: write the value out"


@pytest.mark.parametrize(
    ("text", "line"),
    [(BILLION_LAUGHS, 3), ("model: customers_dim\njobs: &jobs {x: *jobs}\n", 2)],
    ids=["billion laughs", "self-referencing alias"],
)
def test_aliases_are_refused_where_they_stand(specs, text, line):
    edit(specs, "jobs/extra.yaml", text=text)
    error = only_error(specs, "jobs/extra.yaml", "")
    assert (error.line, error.message) == (line, ALIASES)


def test_yaml_nested_thousands_of_levels_deep(specs):
    edit(specs, "jobs/extra.yaml", text="model: " + "[" * 5000 + "]" * 5000 + "\n")
    error = only_error(specs, "jobs/extra.yaml", "")
    assert error.message == "nests too deeply (thousands of levels of [ or {); specs need a handful"


@pytest.mark.parametrize(
    "rel",
    ["environments.yaml", "jobs/customers_dim.yaml", "models/customers_dim/model.yaml"],
)
def test_yaml_that_is_not_utf8(specs, rel):
    path = specs / rel
    path.write_bytes(path.read_bytes() + b"# caf\xe9\n")
    lines = path.read_bytes().count(b"\n")
    error = only_error(specs, rel, "")
    assert (error.line, error.message) == (lines, "is not UTF-8 text: byte 0xe9 cannot be decoded")


def test_tag_sql_that_is_not_utf8(specs):
    path = specs / "models/customers_dim/tags/sprint-42.sql"
    path.write_bytes(b"SELECT 1\n-- \xff\n")
    errors_file = "models/customers_dim/tags/sprint-42.sql"
    error = only_error(specs, errors_file, "")
    assert (error.line, error.message) == (2, "is not UTF-8 text: byte 0xff cannot be decoded")


def test_a_folder_named_like_a_job_file(specs):
    (specs / "jobs" / "x.yaml").mkdir()
    error = only_error(specs, "jobs/x.yaml", "")
    assert error.message.startswith("is not a plain file (a folder, pipe or device)")


def test_a_named_pipe_named_like_a_job_file_does_not_hang_validate(specs, capsys):
    os.mkfifo(specs / "jobs" / "pipe.yaml")
    assert main(["validate", str(specs)]) == 1
    assert "jobs/pipe.yaml: is not a plain file (a folder, pipe or device)" in capsys.readouterr().err


def test_a_huge_spec_file(specs):
    edit(specs, "jobs/extra.yaml", text="# " + "x" * 1_000_000 + "\n")
    error = only_error(specs, "jobs/extra.yaml", "")
    assert error.message == "is 1,000,003 bytes; spec and SQL files may be at most 1,000,000"


@pytest.mark.parametrize(
    ("rel", "old", "new", "field"),
    [
        ("environments.yaml", "role: MARKETING_DEV", 'role: "MARKETING_DEV\\n"', "environments.marketing_dev.role"),
        ("jobs/customers_dim.yaml", "tag: sprint-42", 'tag: "sprint-42\\n"', "jobs.sandbox.tag"),
        (
            "jobs/customers_dim.yaml",
            "DATALAKE_DEV.RAW: DATALAKE_DEV.SAMPLE",
            'DATALAKE_DEV.RAW: "DATALAKE_DEV.SAMPLE\\n"',
            "jobs.sandbox.source_mapping.DATALAKE_DEV.RAW",
        ),
        (
            "jobs/order_status.yaml",
            "watermark: UPDATED_AT",
            'watermark: "UPDATED_AT\\n"',
            "defaults.incremental.watermark",
        ),
        ("models/customers_dim/model.yaml", "group: marketing", 'group: "marketing\\n"', "group"),
    ],
    ids=["role", "tag", "mapping value", "watermark", "group"],
)
def test_names_ending_in_a_newline(specs, rel, old, new, field):
    edit(specs, rel, old, new)
    error = only_error(specs, rel, field)
    assert "is not" in error.message and "\\n" in error.message


def test_a_lookback_too_long_to_compute(specs):
    line = edit(specs, "jobs/order_status.yaml", "lookback: 2h", "lookback: 999999999d")
    error = only_error(specs, "jobs/order_status.yaml", "defaults.incremental.lookback")
    assert (error.line, error.message) == (line, "'999999999d' is too long: at most 3650d")


def test_a_deploy_landing_while_the_specs_load(specs, monkeypatch):
    """deploy writes the tag file, then its lock line; loading reads the lock, then the files. A
    deploy that lands at that moment is seen whole or not at all, never as a lock line without
    its file (which made the specs invalid for 144 of 2,064 loads racing deploys)."""
    from model_jobs.project import load_project
    from model_jobs.specs import tags
    from model_jobs_tests.specs.spec_edits import add_tag

    read = tags.read_spec_file
    lock = specs / "models" / "customers_dim" / "tags.lock"
    landed = []

    def deploy_lands_then_read(path):
        if path == lock and not landed:
            landed.append(True)
            add_tag(specs, "customers_dim", "sprint-43", "SELECT CUSTOMER_ID FROM DATALAKE_DEV.RAW.CUSTOMERS\n")
        return read(path)

    monkeypatch.setattr(tags, "read_spec_file", deploy_lands_then_read)
    project = load_project(specs)
    assert landed and project.job("customers_dim", "marketing_dev").tag.name == "sprint-43"


def test_deploy_refuses_a_tag_name_ending_in_a_newline(specs, capsys):
    working = specs / "models" / "customers_dim" / "model.sql"
    working.write_text(working.read_text() + "-- a change worth a tag\n")
    assert main(["deploy", "customers_dim", "--tag", "v9\n", "--specs", str(specs)]) == 1
    assert "tag name 'v9\\n' is not allowed" in capsys.readouterr().err
    assert not (specs / "models" / "customers_dim" / "tags" / "v9\n.sql").exists()


def test_a_real_account_without_a_user_is_a_message(monkeypatch, capsys):
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "xy12345")
    monkeypatch.delenv("SNOWFLAKE_USER", raising=False)
    assert main(["seed"]) == 1
    assert capsys.readouterr().err.strip() == "model-jobs seed: SNOWFLAKE_ACCOUNT is set but SNOWFLAKE_USER is not"
