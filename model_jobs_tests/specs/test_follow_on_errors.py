"""One mistake, one error: a broken file must not cause follow-on errors elsewhere that describe
the problem wrongly. (The primary error of each case is asserted in test_bad_inputs.py.)"""

from __future__ import annotations

import pytest

from model_jobs_tests.specs.spec_edits import edit, rel, spec_errors


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("role: SANDBOX", "role: SANDBOX: X"),  # YAML syntax
        ("  sandbox:\n", "  marketing_dev:\n"),  # duplicate key
        ("    role: MARKETING_PRD\n", ""),  # missing field
    ],
    ids=["syntax", "duplicate", "missing-role"],
)
def test_unusable_environments_file_adds_no_latest_errors_to_job_files(specs, old, new):
    edit(specs, "environments.yaml", old, new)
    errors = spec_errors(specs)
    assert [rel(specs, e) for e in errors] == ["environments.yaml"]


def test_invalid_model_yaml_is_not_reported_as_unknown_model(specs):
    edit(specs, "models/orders_enriched/model.yaml", "owners: [team:marketing]", "owners: 5")
    errors = spec_errors(specs)
    assert [rel(specs, e) for e in errors] == ["models/orders_enriched/model.yaml"]


def test_edited_tag_is_not_reported_as_missing(specs):
    edit(specs, "models/customers_dim/tags/sprint-41.sql", "    COUNTRY\n", "    COUNTRY,\n    EMAIL\n")
    errors = spec_errors(specs)
    assert [rel(specs, e) for e in errors] == ["models/customers_dim/tags/sprint-41.sql"]


def test_empty_model_value_says_it_is_empty(specs):
    edit(specs, "jobs/orders_enriched.yaml", "model: orders_enriched\n", "model:\n")
    (error,) = spec_errors(specs)
    assert "NoneType" not in error.message and "quote it" not in error.message
