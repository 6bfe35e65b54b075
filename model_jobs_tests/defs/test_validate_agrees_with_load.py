"""`model-jobs validate` and the code location agree on every input, and say it the same way:
specs that pass validate load, and what Dagster would refuse is a spec error in both."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_jobs.cli import main
from model_jobs.defs.build import loadable_definitions
from model_jobs.errors import SpecErrors
from model_jobs.project import load_project
from model_jobs_tests.specs.spec_edits import edit


def rename_model(specs: Path, new: str) -> None:
    (specs / "models" / "customer_ltv").rename(specs / "models" / new)
    edit(specs, "jobs/customer_ltv.yaml", "model: customer_ltv", f"model: {new}")


CASES = {
    "model folder named class": lambda s: rename_model(s, "class"),
    "model folder named context": lambda s: rename_model(s, "context"),
    "environment name ending in a newline": lambda s: edit(s, "environments.yaml", "  sandbox:", '  "sandbox\\n":'),
    "owner <script>@x.io": lambda s: edit(
        s, "models/customer_ltv/model.yaml", "ana.lytics@example.com", "<script>@x.io"
    ),
    "quoted table name with special characters": lambda s: edit(
        s, "models/customers_dim/tags/sprint-42.sql", "FROM DATALAKE_DEV.RAW.CUSTOMERS", 'FROM "a""b"."c;d"."e f"'
    ),
    "the demo as it is": lambda s: None,
}


def outcome_of_loading(specs: Path) -> str:
    """What the code location does with these specs: 'loads', or the first line of its error."""
    try:
        loadable_definitions(load_project(specs))
    except SpecErrors as exc:
        return str(exc).splitlines()[1]
    return "loads"


@pytest.mark.parametrize("case", list(CASES))
def test_validate_and_load_agree(specs_copy, capsys, case):
    CASES[case](specs_copy)
    code = main(["validate", str(specs_copy)])
    captured = capsys.readouterr()
    loaded = outcome_of_loading(specs_copy)
    if case == "the demo as it is":
        assert (code, loaded) == (0, "loads")
    else:
        assert code == 1 and loaded != "loads"
        assert loaded in captured.err  # the same words, file and line


def test_what_dagster_refuses_is_a_spec_error_on_the_model(specs_copy, monkeypatch):
    """The safety net under the spec checks: were one missing, Dagster's refusal still arrives as
    a spec error naming the model's file, not as a stack trace."""
    monkeypatch.setattr("model_jobs.specs.loader.RESERVED_MODEL_NAMES", frozenset())
    rename_model(specs_copy, "class")
    with pytest.raises(SpecErrors) as info:
        loadable_definitions(load_project(specs_copy))
    (error,) = info.value.errors
    assert error.file == specs_copy / "models" / "class" / "model.yaml"
    assert error.message.startswith("Dagster cannot define model 'class': ")
    assert "not a valid name in Dagster" in error.message


def test_reserved_model_names_match_dagsters():
    from dagster._core.definitions.utils import DISALLOWED_NAMES

    from model_jobs.specs.models import RESERVED_MODEL_NAMES

    assert set(DISALLOWED_NAMES) == RESERVED_MODEL_NAMES
