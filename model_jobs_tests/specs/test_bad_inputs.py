"""Each bad input is rejected with an error naming the file, the field path, the line (where YAML
gives one) and what is allowed instead. Every test starts from a copy of the valid demo specs and
breaks exactly one thing (unless it says otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_jobs.cli import main
from model_jobs.errors import SpecErrors
from model_jobs.project import load_project
from model_jobs_tests.specs.spec_edits import (
    add_tag,
    edit,
    line_of,
    only_error,
    rel,
    spec_errors,
    the_error,
    where,
)

ENVIRONMENTS = "marketing_dev, marketing_prd, sandbox"
IDENTIFIER_RULE = "use letters, digits, '_' and '$', starting with a letter or '_'"


# --- YAML syntax ---------------------------------------------------------------------------------


def test_broken_yaml_syntax(specs):
    line = edit(specs, "sources.yaml", "description: Order lines.", "description: Order: lines.")
    error = only_error(specs, "sources.yaml", "")
    assert error.line == line == 24
    assert error.message.startswith("invalid YAML:")
    assert "mapping values are not allowed here" in error.message


def test_tab_indentation_is_broken_yaml(specs):
    line = edit(specs, "jobs/orders_enriched.yaml", "    tag: latest\n", "\ttag: latest\n")
    errors = spec_errors(specs)
    error = the_error(specs, errors, "jobs/orders_enriched.yaml", "")
    assert error.line == line
    assert "invalid YAML" in error.message and "'\\t'" in error.message


def test_duplicate_environment_is_rejected(specs):
    first = line_of(specs, "environments.yaml", "  marketing_dev:")
    line = edit(specs, "environments.yaml", "  sandbox:\n", "  marketing_dev:\n")
    errors = spec_errors(specs)
    error = the_error(specs, errors, "environments.yaml", "")
    assert error.line == line
    assert first == 6
    assert error.message == f"invalid YAML: duplicate key 'marketing_dev' (first at line {first})"


def test_duplicate_key_in_a_job_is_rejected(specs):
    line = edit(specs, "jobs/customers_dim.yaml", "    tag: sprint-42\n", "    tag: sprint-42\n    tag: sprint-41\n")
    error = only_error(specs, "jobs/customers_dim.yaml", "")
    assert error.line == line + 1
    assert "duplicate key 'tag'" in error.message and f"(first at line {line})" in error.message


def test_empty_job_file(specs):
    edit(specs, "jobs/customers_dim.yaml", text="")
    error = only_error(specs, "jobs/customers_dim.yaml", "")
    assert error.line == 1
    assert error.message == "must be a mapping with fields model, defaults, jobs; got an empty file"


# --- unknown fields, wrong types, missing fields ------------------------------------------------


def test_unknown_key_in_a_job_lists_allowed_fields(specs):
    line = edit(specs, "jobs/customers_dim.yaml", "    tag: sprint-42\n", "    tag: sprint-42\n    schedule: daily\n")
    error = only_error(specs, "jobs/customers_dim.yaml", "jobs.sandbox.schedule")
    assert error.line == line + 1
    assert error.message == (
        "unknown field 'schedule'; allowed: tag, source_mapping, target, incremental, trigger, conditions, freshness"
    )


def test_misspelt_tag_key_reports_unknown_field_and_missing_tag(specs):
    line = edit(specs, "jobs/customers_dim.yaml", "    tag: sprint-41 ", "    tags: sprint-41 ")
    errors = spec_errors(specs)
    unknown = the_error(specs, errors, "jobs/customers_dim.yaml", "jobs.marketing_prd.tags")
    assert unknown.line == line
    assert unknown.message == (
        "unknown field 'tags'; allowed: tag, source_mapping, target, incremental, trigger, conditions, freshness"
    )
    missing = the_error(specs, errors, "jobs/customers_dim.yaml", "jobs.marketing_prd.tag")
    assert missing.line == line_of(specs, "jobs/customers_dim.yaml", "marketing_prd:")
    assert missing.message == "required field is missing"


def test_unknown_top_level_key_in_a_job_file(specs):
    line = edit(specs, "jobs/customers_dim.yaml", "model: customers_dim\n", "model: customers_dim\nschedule: daily\n")
    error = only_error(specs, "jobs/customers_dim.yaml", "schedule")
    assert error.line == line + 1 == 3
    assert error.message == "unknown field 'schedule'; allowed: model, defaults, jobs"


def test_unknown_key_in_environments_lists_allowed_fields(specs):
    line = edit(specs, "environments.yaml", "    role: SANDBOX\n", "    role: SANDBOX\n    rol: SANDBOX\n")
    errors = spec_errors(specs)
    error = the_error(specs, errors, "environments.yaml", "environments.sandbox.rol")
    assert error.line == line + 1
    assert error.message == "unknown field 'rol'; allowed: description, role, warehouse, target, notify"


def test_owners_must_be_a_list(specs):
    line = edit(specs, "models/orders_enriched/model.yaml", "owners: [team:marketing]", "owners: 5")
    errors = spec_errors(specs)
    error = the_error(specs, errors, "models/orders_enriched/model.yaml", "owners")
    assert error.line == line == 3
    assert error.message == "must be a list, got int"


def test_unquoted_numeric_tag_must_be_quoted(specs):
    line = edit(specs, "jobs/orders_enriched.yaml", 'tag: "2026.1"', "tag: 2026.1")
    error = only_error(specs, "jobs/orders_enriched.yaml", "jobs.marketing_prd.tag")
    assert error.line == line
    assert "must be a string, got float" in error.message
    assert "quote it" in error.message


def test_target_must_be_a_mapping(specs):
    line = edit(specs, "jobs/customer_ltv.yaml", "target: {table: CUSTOMER_LTV_TRIAL}", "target: CUSTOMER_LTV_TRIAL")
    error = only_error(specs, "jobs/customer_ltv.yaml", "jobs.sandbox.target")
    assert error.line == line
    assert error.message == "must be a mapping, got str"


def test_missing_role_points_at_the_environment(specs):
    environment_line = line_of(specs, "environments.yaml", "  marketing_prd:")
    edit(specs, "environments.yaml", "    role: MARKETING_PRD\n", "")
    errors = spec_errors(specs)
    error = the_error(specs, errors, "environments.yaml", "environments.marketing_prd.role")
    assert error.line == environment_line == 12
    assert error.message == "required field is missing"


def test_missing_environments_file(specs):
    (specs / "environments.yaml").unlink()
    errors = spec_errors(specs)
    error = the_error(specs, errors, "environments.yaml", "")
    assert error.line is None
    assert "missing" in error.message and "environments.yaml" in error.message


# --- tags named by jobs --------------------------------------------------------------------------


def test_unknown_tag_lists_available_tags(specs):
    line = edit(specs, "jobs/customers_dim.yaml", "tag: sprint-41", "tag: sprint-40")
    # only_error: customer_ltv, which follows customers_dim into marketing_prd, gets no second error
    error = only_error(specs, "jobs/customers_dim.yaml", "jobs.marketing_prd.tag")
    assert error.line == line
    assert error.message == "model 'customers_dim' has no tag 'sprint-40'; allowed: sprint-41, sprint-42"


def test_unknown_tag_in_the_design_environment_also_offers_latest(specs):
    line = edit(specs, "jobs/orders_enriched.yaml", "    tag: latest\n", "    tag: 2026.3-rc\n")
    error = only_error(specs, "jobs/orders_enriched.yaml", "jobs.marketing_dev.tag")
    assert error.line == line
    assert error.message == "model 'orders_enriched' has no tag '2026.3-rc'; allowed: 2026.1, 2026.2 or 'latest'"


def test_tag_name_with_invalid_characters(specs):
    line = edit(specs, "jobs/customers_dim.yaml", "tag: sprint-41", 'tag: "sprint 41"')
    error = only_error(specs, "jobs/customers_dim.yaml", "jobs.marketing_prd.tag")
    assert error.line == line
    assert error.message == "'sprint 41' is not allowed: use letters, digits, '.', '_' and '-' (or 'latest')"


def test_latest_outside_the_design_environment(specs):
    line = edit(specs, "jobs/customers_dim.yaml", "tag: sprint-41", "tag: latest")
    error = only_error(specs, "jobs/customers_dim.yaml", "jobs.marketing_prd.tag")
    assert error.line == line
    assert error.message == (
        "'latest' is only allowed in the design environment (marketing_dev); pin a tag: sprint-41, sprint-42"
    )


# --- environments --------------------------------------------------------------------------------


def test_unknown_environment_in_a_job_file(specs):
    line = edit(specs, "jobs/orders_enriched.yaml", "  sandbox:", "  staging:")
    errors = spec_errors(specs)
    error = the_error(specs, errors, "jobs/orders_enriched.yaml", "jobs.staging")
    assert error.line == line
    assert error.message == f"unknown environment 'staging'; allowed: {ENVIRONMENTS}"
    # orders_enriched now really has no sandbox job, so customer_ltv cannot follow it there.
    assert where(specs, errors) == [
        ("jobs/customer_ltv.yaml", "jobs.sandbox.source_mapping"),
        ("jobs/orders_enriched.yaml", "jobs.staging"),
    ]


def test_design_environment_must_be_an_environment(specs):
    line = edit(specs, "environments.yaml", "design_environment: marketing_dev", "design_environment: marketing_test")
    errors = spec_errors(specs)
    error = the_error(specs, errors, "environments.yaml", "design_environment")
    assert error.line == line == 3
    assert error.message == f"'marketing_test' is not an environment; allowed: {ENVIRONMENTS}"


@pytest.mark.parametrize("name", ["Sandbox", "my sandbox", "sandbox-eu", "1sandbox"])
def test_invalid_environment_name(specs, name):
    line = edit(specs, "environments.yaml", "  sandbox:", f'  "{name}":')
    errors = spec_errors(specs)
    error = the_error(specs, errors, "environments.yaml", f"environments.{name}")
    assert error.line == line
    assert error.message == f"{name!r} is not allowed: use lower-case letters, digits and '_'"


def test_invalid_environment_name_in_a_job_file(specs):
    line = edit(specs, "jobs/orders_enriched.yaml", "  sandbox:", "  Sandbox:")
    error = only_error(specs, "jobs/orders_enriched.yaml", "jobs.Sandbox")
    assert error.line == line
    assert error.message == "'Sandbox' is not allowed: use lower-case letters, digits and '_'"


def test_two_job_files_for_one_model_share_an_environment(specs):
    edit(specs, "jobs/customers_dim_trial.yaml", text="model: customers_dim\njobs:\n  sandbox:\n    tag: sprint-41\n")
    error = only_error(specs, "jobs/customers_dim_trial.yaml", "jobs.sandbox")
    assert error.line == 3
    assert "model 'customers_dim' already has a job in environment 'sandbox'" in error.message
    assert f"(in {specs / 'jobs' / 'customers_dim.yaml'})" in error.message
    assert error.message.endswith("one job per environment")


# --- source mapping ------------------------------------------------------------------------------


def test_source_mapping_key_the_model_does_not_read(specs):
    line = edit(
        specs,
        "jobs/customers_dim.yaml",
        "DATALAKE_DEV.RAW.CUSTOMERS: DATALAKE_PRD.CRM.CUSTOMERS",
        "DATALAKE_DEV.RAW.ORDERS: DATALAKE_PRD.CRM.ORDERS",
    )
    error = only_error(specs, "jobs/customers_dim.yaml", "jobs.marketing_prd.source_mapping.DATALAKE_DEV.RAW.ORDERS")
    assert error.line == line
    assert error.message == (
        "'DATALAKE_DEV.RAW.ORDERS' is not read by model 'customers_dim' at tag 'sprint-41'; "
        "it reads: DATALAKE_DEV.RAW.CUSTOMERS"
    )


def test_source_mapping_maps_a_database_to_a_table(specs):
    line = edit(
        specs, "jobs/orders_enriched.yaml", "DATALAKE_DEV: DATALAKE_PRD ", "DATALAKE_DEV: DATALAKE_PRD.RAW.ORDERS "
    )
    error = only_error(specs, "jobs/orders_enriched.yaml", "jobs.marketing_prd.source_mapping.DATALAKE_DEV")
    assert error.line == line
    assert error.message == "maps a database to a table ('DATALAKE_PRD.RAW.ORDERS'); map like to like"


def test_source_mapping_key_with_too_many_parts(specs):
    line = edit(specs, "jobs/customers_dim.yaml", "DATALAKE_DEV.RAW.CUSTOMERS:", "DATALAKE_DEV.RAW.CUSTOMERS.ID:")
    field = "jobs.marketing_prd.source_mapping.DATALAKE_DEV.RAW.CUSTOMERS.ID"
    error = only_error(specs, "jobs/customers_dim.yaml", field)
    assert error.line == line
    assert error.message == (
        "'DATALAKE_DEV.RAW.CUSTOMERS.ID' is not a location: use DATABASE, DATABASE.SCHEMA or DATABASE.SCHEMA.TABLE"
    )


# --- identifiers ---------------------------------------------------------------------------------


def test_invalid_identifier_in_a_target_table(specs):
    line = edit(specs, "jobs/customer_ltv.yaml", "table: CUSTOMER_LTV_TRIAL", 'table: "ORDERS; DROP TABLE X"')
    error = only_error(specs, "jobs/customer_ltv.yaml", "jobs.sandbox.target.table")
    assert error.line == line
    assert error.message.startswith("'ORDERS; DROP TABLE X' is not a valid Snowflake identifier")
    assert IDENTIFIER_RULE in error.message


def test_invalid_identifier_in_a_source_mapping_value(specs):
    line = edit(
        specs, "jobs/customers_dim.yaml", "DATALAKE_PRD.CRM.CUSTOMERS", '"DATALAKE_PRD.CRM.ORDERS; DROP TABLE X"'
    )
    field = "jobs.marketing_prd.source_mapping.DATALAKE_DEV.RAW.CUSTOMERS"
    error = only_error(specs, "jobs/customers_dim.yaml", field)
    assert error.line == line
    assert error.message.startswith("'ORDERS; DROP TABLE X' is not a valid Snowflake identifier")
    assert IDENTIFIER_RULE in error.message


def test_invalid_identifier_in_an_environment_role(specs):
    line = edit(specs, "environments.yaml", "role: SANDBOX", 'role: "SANDBOX ROLE"')
    errors = spec_errors(specs)
    error = the_error(specs, errors, "environments.yaml", "environments.sandbox.role")
    assert error.line == line
    assert error.message.startswith("'SANDBOX ROLE' is not a valid Snowflake identifier")


# --- models ------------------------------------------------------------------------------------


def test_unknown_model_in_a_job_file(specs):
    line = edit(specs, "jobs/orders_enriched.yaml", "model: orders_enriched", "model: order_enriched")
    error = only_error(specs, "jobs/orders_enriched.yaml", "model")
    assert error.line == line == 2
    assert (
        error.message
        == "unknown model 'order_enriched'; known: customer_ltv, customers_dim, order_status, orders_enriched"
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("model: orders_enriched\n", "model:\n", "is empty; a value is required"),
        ("model: orders_enriched\n", "", "required field is missing"),
    ],
    ids=["empty", "absent"],
)
def test_job_file_whose_model_names_nothing(specs, old, new, message):
    edit(specs, "jobs/orders_enriched.yaml", old, new)
    error = only_error(specs, "jobs/orders_enriched.yaml", "model")
    assert error.line == 2  # line 1 is the yaml-language-server comment
    assert message in error.message


def test_owner_neither_email_nor_team(specs):
    line = edit(specs, "models/customer_ltv/model.yaml", "ana.lytics@example.com", "ana.lytics")
    errors = spec_errors(specs)
    error = the_error(specs, errors, "models/customer_ltv/model.yaml", "owners.1")
    assert error.line == line == 3
    assert error.message == "'ana.lytics' is not allowed: use an e-mail address or 'team:<name>'"


def test_model_yaml_missing_description(specs):
    edit(
        specs,
        "models/customer_ltv/model.yaml",
        "description: Lifetime value per customer, built on the customer and order marts.\n",
        "",
    )
    errors = spec_errors(specs)
    error = the_error(specs, errors, "models/customer_ltv/model.yaml", "description")
    assert error.message == "required field is missing"


# --- sources.yaml --------------------------------------------------------------------------------


def test_unknown_column_type_in_sources(specs):
    line = edit(specs, "sources.yaml", "PRODUCT: VARCHAR", "PRODUCT: VARCHR")
    error = only_error(specs, "sources.yaml", "sources.DATALAKE_DEV.RAW.ORDER_ITEMS.columns.PRODUCT")
    assert error.line == line
    assert error.message.startswith("unknown column type 'VARCHR'; allowed: ")
    allowed = error.message.split("allowed: ", 1)[1].split(", ")
    assert {"VARCHAR", "NUMBER", "TIMESTAMP_NTZ", "BOOLEAN"} <= set(allowed)


def test_source_name_must_be_fully_qualified(specs):
    line = edit(specs, "sources.yaml", "  DATALAKE_DEV.RAW.CUSTOMERS:", "  RAW.CUSTOMERS:")
    error = only_error(specs, "sources.yaml", "sources.RAW.CUSTOMERS")
    assert error.line == line
    assert error.message == "'RAW.CUSTOMERS' is not a table name: use DATABASE.SCHEMA.TABLE"


# --- tag SQL (checked when a job runs the tag; `latest` in marketing_dev runs a new tag) ---------


def test_tag_sql_that_does_not_parse(specs):
    add_tag(
        specs,
        "customers_dim",
        "sprint-43",
        "SELECT CUSTOMER_ID\nFROM DATALAKE_DEV.RAW.CUSTOMERS\nWHERE (CUSTOMER_ID = 1\n",
    )
    error = only_error(specs, "models/customers_dim/tags/sprint-43.sql", "")
    assert error.line == 3
    assert error.message.startswith("SQL does not parse: ")
    assert "Expecting )" in error.message


def test_tag_sql_with_an_unqualified_table(specs):
    add_tag(specs, "customers_dim", "sprint-43", "SELECT CUSTOMER_ID\nFROM RAW.CUSTOMERS\n")
    error = only_error(specs, "models/customers_dim/tags/sprint-43.sql", "")
    assert error.message == (
        "table reference 'RAW.CUSTOMERS' must be fully qualified as DATABASE.SCHEMA.TABLE "
        "so each environment can map it"
    )


def test_tag_sql_with_two_statements(specs):
    add_tag(
        specs,
        "customers_dim",
        "sprint-43",
        "SELECT CUSTOMER_ID FROM DATALAKE_DEV.RAW.CUSTOMERS;\nSELECT NAME FROM DATALAKE_DEV.RAW.CUSTOMERS;\n",
    )
    error = only_error(specs, "models/customers_dim/tags/sprint-43.sql", "")
    assert error.message == "SQL must be exactly one SELECT statement, found 2 statements"


def test_tag_sql_that_is_not_a_select(specs):
    add_tag(specs, "customers_dim", "sprint-43", "DELETE FROM DATALAKE_DEV.RAW.CUSTOMERS\n")
    error = only_error(specs, "models/customers_dim/tags/sprint-43.sql", "")
    assert error.message == "SQL must be a SELECT query, found DELETE"


# --- tags.lock -----------------------------------------------------------------------------------


def test_tag_file_edited_after_creation(specs):
    edit(specs, "models/customers_dim/tags/sprint-41.sql", "    COUNTRY\n", "    COUNTRY,\n    EMAIL\n")
    errors = spec_errors(specs)
    error = the_error(specs, errors, "models/customers_dim/tags/sprint-41.sql", "")
    assert error.message.startswith("tag 'sprint-41' was changed after it was created (sha256 ")
    assert "but tags.lock says 16b60a411c50…" in error.message
    assert "tags are immutable: restore the file and create a new tag instead" in error.message


def test_tag_file_without_lock_entry_is_ignored_with_a_warning(specs):
    """What a deploy killed between writing the tag file and its lock line leaves: the specs still
    load (the tag does not exist yet), and the file is named in a warning."""
    edit(specs, "models/customers_dim/tags/sprint-43.sql", text="SELECT CUSTOMER_ID FROM DATALAKE_DEV.RAW.CUSTOMERS\n")
    project = load_project(specs)
    assert project.job("customers_dim", "marketing_dev").tag.name == "sprint-42"  # latest is unchanged
    (warning,) = project.specs.warnings
    assert warning.file == specs / "models/customers_dim/tags/sprint-43.sql"
    assert warning.message.startswith("tag file 'sprint-43' is not recorded in tags.lock (an interrupted deploy")


def test_a_job_naming_a_tag_whose_lock_line_never_came(specs):
    edit(specs, "models/customers_dim/tags/sprint-43.sql", text="SELECT CUSTOMER_ID FROM DATALAKE_DEV.RAW.CUSTOMERS\n")
    edit(specs, "jobs/customers_dim.yaml", "tag: sprint-42", "tag: sprint-43")
    error = only_error(specs, "jobs/customers_dim.yaml", "jobs.sandbox.tag")
    assert error.message.startswith("model 'customers_dim' has no tag 'sprint-43'; allowed: ")


def test_lock_entry_without_tag_file(specs):
    (specs / "models/customers_dim/tags/sprint-42.sql").unlink()
    errors = spec_errors(specs)
    error = the_error(specs, errors, "models/customers_dim/tags.lock", "tag")
    assert error.line == line_of(specs, "models/customers_dim/tags.lock", '"tag": "sprint-42"') == 2
    assert error.message == "tag 'sprint-42' has no file tags/sprint-42.sql"


def test_broken_json_line_in_tags_lock(specs):
    lock = "models/orders_enriched/tags.lock"
    lines = (specs / lock).read_text(encoding="utf-8").splitlines()
    edit(specs, lock, text=f"{lines[0]}\n\n{lines[1].rstrip('}')}\n")  # blank line 2 is skipped, line 3 is cut
    errors = spec_errors(specs)
    error = the_error(specs, errors, lock, "")
    assert error.line == 3
    assert error.message.startswith("broken line: ")
    assert error.message.endswith("each line must be a JSON object with tag, sha256, created, message")


def test_lock_line_with_missing_fields(specs):
    lock = "models/orders_enriched/tags.lock"
    edit(specs, lock, ', "message": "Orders with total value"', "")
    errors = spec_errors(specs)
    error = the_error(specs, errors, lock, "")
    assert error.line == 1
    assert (
        error.message
        == "broken line: expected a JSON object with exactly the string fields tag, sha256, created, message"
    )


def test_tag_listed_twice_in_tags_lock(specs):
    lock = "models/orders_enriched/tags.lock"
    first = (specs / lock).read_text(encoding="utf-8").splitlines()[0]
    with (specs / lock).open("a", encoding="utf-8") as f:
        f.write(first + "\n")
    error = only_error(specs, lock, "tag")
    assert error.line == 3
    assert error.message == "tag '2026.1' is listed twice"


# --- references between models -------------------------------------------------------------------


def _drop_customers_dim_sandbox_job(specs: Path) -> None:
    edit(
        specs,
        "jobs/customers_dim.yaml",
        "  sandbox:\n    tag: sprint-42\n    source_mapping:\n"
        "      DATALAKE_DEV.RAW: DATALAKE_DEV.SAMPLE                    # schema level: a small sample\n",
        "",
    )


def test_reading_another_models_target_where_it_has_no_job(specs):
    _drop_customers_dim_sandbox_job(specs)
    error = only_error(specs, "jobs/customer_ltv.yaml", "jobs.sandbox.source_mapping")
    assert error.line == line_of(specs, "jobs/customer_ltv.yaml", "  sandbox:")
    assert error.message == (
        "model 'customer_ltv' reads ANALYTICS_DEV.MARTS.CUSTOMERS_DIM (the target of model 'customers_dim'), "
        "but 'customers_dim' has no job in 'sandbox': add one, or map ANALYTICS_DEV.MARTS.CUSTOMERS_DIM "
        "to a table in source_mapping"
    )


def test_explicit_mapping_of_another_models_target_resolves_it(specs):
    """Control for the test above: the fix its message suggests does load."""
    _drop_customers_dim_sandbox_job(specs)
    edit(
        specs,
        "jobs/customer_ltv.yaml",
        "    target: {table: CUSTOMER_LTV_TRIAL}\n",
        "    target: {table: CUSTOMER_LTV_TRIAL}\n    source_mapping:\n"
        "      ANALYTICS_DEV.MARTS.CUSTOMERS_DIM: ANALYTICS_PRD.MARTS.CUSTOMERS_DIM\n",
    )
    job = load_project(specs).job("customer_ltv", "sandbox")
    reads = {str(s.design): (str(s.actual), s.via) for s in job.sources}
    assert reads["ANALYTICS_DEV.MARTS.CUSTOMERS_DIM"] == ("ANALYTICS_PRD.MARTS.CUSTOMERS_DIM", "table mapping")


def test_dependency_cycle_between_two_models(specs):
    add_tag(
        specs,
        "customers_dim",
        "sprint-43",
        "SELECT c.CUSTOMER_ID, l.LIFETIME_VALUE\nFROM DATALAKE_DEV.RAW.CUSTOMERS AS c\n"
        "JOIN ANALYTICS_DEV.MARTS.CUSTOMER_LTV AS l ON l.CUSTOMER_ID = c.CUSTOMER_ID\n",
    )
    error = only_error(specs, "models/customer_ltv", "")
    assert error.line is None
    assert error.message == "models depend on each other in a cycle: customer_ltv -> customers_dim -> customer_ltv"


def test_two_jobs_in_one_environment_write_the_same_table(specs):
    line = edit(specs, "jobs/customer_ltv.yaml", "table: CUSTOMER_LTV_TRIAL", "table: CUSTOMERS_DIM")
    errors = spec_errors(specs)
    assert [(rel(specs, e), e.field) for e in errors] == [
        ("jobs/customer_ltv.yaml", "jobs.sandbox.target"),
        ("jobs/customers_dim.yaml", "jobs.sandbox.target"),
    ]
    ltv, dim = errors
    # Each side names the other job, with the line to look at.
    assert ltv.line == line == line_of(specs, "jobs/customer_ltv.yaml", "table: CUSTOMERS_DIM")
    assert ltv.message.startswith(
        "SANDBOX.MARKETING.CUSTOMERS_DIM is also the target of model 'customers_dim' in 'sandbox' ("
    )
    assert f"customers_dim.yaml:{dim.line}); each Model Job needs its own table" in ltv.message
    assert dim.line == line_of(specs, "jobs/customers_dim.yaml", "  sandbox:")
    assert f"customer_ltv.yaml:{line}); each Model Job needs its own table" in dim.message


def test_same_table_in_different_environments_is_refused(specs):
    """A sandbox job writing the prd table would overwrite prd: one table, one Model Job."""
    line = edit(
        specs,
        "jobs/customer_ltv.yaml",
        "target: {table: CUSTOMER_LTV_TRIAL}",
        "target: {database: ANALYTICS_PRD, schema: MARTS}",
    )
    errors = spec_errors(specs)
    assert where(specs, errors) == [
        ("jobs/customer_ltv.yaml", "jobs.marketing_prd.target"),
        ("jobs/customer_ltv.yaml", "jobs.sandbox.target"),
    ]
    prd, sandbox = errors
    assert sandbox.line == line
    assert sandbox.message.startswith(
        "ANALYTICS_PRD.MARTS.CUSTOMER_LTV is also the target of model 'customer_ltv' in 'marketing_prd' ("
    )
    assert "in 'sandbox' (" in prd.message


# --- all errors at once --------------------------------------------------------------------------


def _break_five_files(specs: Path) -> list[tuple[str, str]]:
    edit(specs, "sources.yaml", "PRODUCT: VARCHAR", "PRODUCT: VARCHR")
    edit(specs, "jobs/orders_enriched.yaml", 'tag: "2026.1"', "tag: 2026.1")
    edit(specs, "models/customer_ltv/model.yaml", "ana.lytics@example.com", "ana.lytics")
    edit(specs, "models/customers_dim/tags/sprint-41.sql", "    COUNTRY\n", "    COUNTRY,\n    EMAIL\n")
    # found only after loading, when the tag's SQL is compared with the mapping:
    edit(specs, "jobs/customers_dim.yaml", "DATALAKE_DEV.RAW: DATALAKE_DEV.SAMPLE", "DATALAKE_DEV.RAW: DATALAKE_DEV")
    return [
        ("sources.yaml", "sources.DATALAKE_DEV.RAW.ORDER_ITEMS.columns.PRODUCT"),
        ("jobs/orders_enriched.yaml", "jobs.marketing_prd.tag"),
        ("models/customer_ltv/model.yaml", "owners.1"),
        ("models/customers_dim/tags/sprint-41.sql", ""),
        ("jobs/customers_dim.yaml", "jobs.sandbox.source_mapping.DATALAKE_DEV.RAW"),
    ]


def test_errors_in_several_files_are_all_reported_at_once(specs):
    expected = _break_five_files(specs)
    with pytest.raises(SpecErrors) as info:
        load_project(specs)
    errors = info.value.errors
    for file, field in expected:
        the_error(specs, errors, file, field)
    assert len({rel(specs, e) for e in errors}) >= 5
    rendered = str(info.value)
    assert rendered.splitlines()[0] == f"job_specs are invalid ({len(errors)} errors):"
    for error in errors:
        assert f"  - {error}" in rendered
    assert "unknown column type 'VARCHR'" in rendered
    assert "maps a schema to a database ('DATALAKE_DEV')" in rendered


def test_validate_cli_prints_every_error_and_exits_1(specs, capsys):
    expected = _break_five_files(specs)
    assert main(["validate", str(specs)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    errors = spec_errors(specs)
    assert captured.err.strip() == SpecErrors(errors).render()
    assert f"job_specs are invalid ({len(errors)} errors):" in captured.err
    for file, _ in expected:
        assert str(specs / file) in captured.err
    tag_line = line_of(specs, "jobs/orders_enriched.yaml", "tag: 2026.1")
    assert f"{specs / 'jobs/orders_enriched.yaml'}:{tag_line}: jobs.marketing_prd.tag: must be a string" in captured.err
