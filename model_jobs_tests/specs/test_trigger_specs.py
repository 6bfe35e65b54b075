"""Triggers in job specs: the demo's resolve as documented, YAML 1.1 booleans stay words, and every
bad trigger is rejected with its file, field path, line and message. Pure: specs only, no
warehouse and no Dagster instance. Every test starts from a copy of the valid demo specs."""

from __future__ import annotations

from model_jobs.cli import main
from model_jobs.compile.triggers import EventSource, Schedule, Trigger
from model_jobs.project import load_project
from model_jobs.specs.yaml_source import load_yaml
from model_jobs_tests.specs.spec_edits import edit, line_of, only_error, rel, spec_errors, the_error, where

ENVIRONMENTS = "marketing_dev, marketing_prd, sandbox"
MODELS = "customer_ltv, customers_dim, order_status, orders_enriched"
KNOWN_JOBS = "crm_export, customer_ltv_job, customers_dim_job, order_status_job, orders_enriched_job"
KNOWN_DEPLOYMENTS = "crm_service, customer_ltv, customers_dim, order_status, orders_enriched"
JOBS_FROM = "(a model's job <model>_job, or one declared under jobs: in upstream.yaml)"
DEPLOYMENTS_FROM = "(a model's name, or one declared under deployments: in upstream.yaml)"
CRON_RULE = (
    "five fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or jan-dec) "
    "day-of-week (0-7 or sun-sat, 0 and 7 are Sunday), each '*', a number, a range a-b, "
    "a step */n, a-b/n or a/n, or a comma list of these; or one of @hourly, @daily, @midnight, "
    "@weekly, @monthly, @yearly, @annually"
)
WAIT_FOR_WITHOUT_EVENTS = "wait_for says how to wait for events, but there are none: add trigger.on, or remove wait_for"
ONE_KIND = "an event names exactly one of model_job, job or deployment"

CUSTOMERS_DIM = "jobs/customers_dim.yaml"
ORDERS_ENRICHED = "jobs/orders_enriched.yaml"
CUSTOMER_LTV = "jobs/customer_ltv.yaml"
ORDER_STATUS = "jobs/order_status.yaml"
UPSTREAM = "upstream.yaml"

# Lines of the demo that the tests below change. Nobody listens to order_status, so breaking its
# trigger (even so badly that its file is rejected) gives exactly one error.
ORDER_STATUS_ON = "on: [{job: crm_export}]"
ORDER_STATUS_CRON = 'schedule: {cron: "*/30 * * * *"}'
ORDERS_ENRICHED_ON_CUSTOMERS_DIM = (
    "        - model_job: customers_dim          # customers_dim refreshed in this environment\n"
)
CUSTOMERS_DIM_SCHEDULE = '      schedule: {cron: "0 6 * * 1-5", timezone: Europe/Berlin}'
CUSTOMERS_DIM_DESCRIPTION = "description: One row per customer with the attributes marketing segments on."
ORDER_STATUS_DESCRIPTION = "description: Current status of every order, kept up to date incrementally as orders change."
ORDER_STATUS_SANDBOX = (
    "  sandbox:\n"
    "    tag: v2\n"
    "    source_mapping:\n"
    "      DATALAKE_DEV.RAW: DATALAKE_DEV.SAMPLE\n"
    "    incremental: {strategy: append}          # the sample only ever gains orders\n"
    "    conditions:\n"
    "      source_data_quality: true                # the sample's error-severity checks must pass\n"
)


def _set_order_status_events(specs, events: str) -> int:
    """Replace order_status@marketing_prd's `on:` list; returns its line."""
    return edit(specs, ORDER_STATUS, ORDER_STATUS_ON, f"on: {events}")


def _listen_from_orders_enriched(specs, event: str) -> int:
    """Replace orders_enriched@marketing_prd's first event (model_job: customers_dim); returns its line."""
    return edit(specs, ORDERS_ENRICHED, ORDERS_ENRICHED_ON_CUSTOMERS_DIM, f"        - {event}\n")


# --- the demo ------------------------------------------------------------------------------------


def test_demo_triggers_resolve_as_documented(specs):
    triggers = load_project(specs).triggers
    assert sorted(triggers) == [
        ("customer_ltv", "marketing_dev"),
        ("customer_ltv", "marketing_prd"),
        ("customers_dim", "marketing_prd"),
        ("order_status", "marketing_prd"),
        ("orders_enriched", "marketing_prd"),
    ]
    assert triggers[("customers_dim", "marketing_prd")] == Trigger(
        "customers_dim", "marketing_prd", Schedule("0 6 * * 1-5", "Europe/Berlin"), (), "any"
    )
    assert triggers[("orders_enriched", "marketing_prd")] == Trigger(
        "orders_enriched",
        "marketing_prd",
        None,
        (
            EventSource("model_job", "customers_dim", "marketing_prd"),
            EventSource("deployment", "crm_service", "marketing_prd"),
        ),
        "any",
    )
    assert triggers[("order_status", "marketing_prd")] == Trigger(
        "order_status",
        "marketing_prd",
        Schedule("*/30 * * * *", "UTC"),
        (EventSource("job", "crm_export", None),),  # any run of crm_export, whatever its partition
        "any",
    )


def test_customer_ltv_inherits_its_defaults_per_environment_and_sandbox_removes_them(specs):
    triggers = load_project(specs).triggers
    for env in ("marketing_dev", "marketing_prd"):
        assert triggers[("customer_ltv", env)] == Trigger(
            "customer_ltv",
            env,
            None,
            (EventSource("model_job", "customers_dim", env), EventSource("model_job", "orders_enriched", env)),
            "all",
        )
    # `trigger: {on: null}` removes the default events; with no schedule left it runs only when launched.
    assert ("customer_ltv", "sandbox") not in triggers


def test_a_job_that_removes_the_default_events_keeps_the_rest_of_the_default(specs):
    edit(specs, CUSTOMER_LTV, "trigger: {on: null}", "trigger: {on: null, schedule: {cron: '@daily'}}")
    trigger = load_project(specs).triggers[("customer_ltv", "sandbox")]
    # wait_for: all still comes from the defaults; with no events it has nothing to wait for (no error).
    assert trigger == Trigger("customer_ltv", "sandbox", Schedule("@daily", "UTC"), (), "all")


def test_trigger_null_removes_the_whole_default_trigger(specs):
    edit(specs, CUSTOMER_LTV, "    wait_for: all\n", "    wait_for: all\n    schedule: {cron: '@daily'}\n")
    edit(specs, CUSTOMER_LTV, '    tag: "2026.1"\n', '    tag: "2026.1"\n    trigger: null\n')
    triggers = load_project(specs).triggers
    # marketing_prd runs only when launched: no schedule, no events, and no wait_for without events.
    assert ("customer_ltv", "marketing_prd") not in triggers
    assert triggers[("customer_ltv", "marketing_dev")] == Trigger(
        "customer_ltv",
        "marketing_dev",
        Schedule("@daily", "UTC"),
        (
            EventSource("model_job", "customers_dim", "marketing_dev"),
            EventSource("model_job", "orders_enriched", "marketing_dev"),
        ),
        "all",
    )
    # `trigger: {on: null}` removes only the events: the sandbox keeps the default schedule.
    assert triggers[("customer_ltv", "sandbox")] == Trigger(
        "customer_ltv", "sandbox", Schedule("@daily", "UTC"), (), "all"
    )


def test_a_deployment_without_environment(specs):
    # A model's name: its `model-jobs deploy`, reported in the design environment (marketing_dev);
    # an upstream name: reported in the job's own environment.
    edit(
        specs,
        CUSTOMER_LTV,
        "on: [{model_job: customers_dim}, {model_job: orders_enriched}]",
        "on: [{deployment: customers_dim}, {deployment: crm_service}, {deployment: orders_enriched@marketing_prd}]",
    )
    triggers = load_project(specs).triggers
    for env in ("marketing_dev", "marketing_prd"):
        assert triggers[("customer_ltv", env)].on == (
            EventSource("deployment", "customers_dim", "marketing_dev"),
            EventSource("deployment", "crm_service", env),
            EventSource("deployment", "orders_enriched", "marketing_prd"),
        )


# --- YAML 1.1 booleans stay words ----------------------------------------------------------------


def test_the_on_key_is_the_string_on(specs):
    doc = load_yaml(specs / ORDERS_ENRICHED)
    trigger = doc.data["jobs"]["marketing_prd"]["trigger"]
    assert list(trigger) == ["on"]
    assert True not in trigger
    assert doc.line_of(("jobs", "marketing_prd", "trigger", "on")) == line_of(specs, ORDERS_ENRICHED, "      on:")


def test_yes_no_on_off_values_stay_strings_and_only_true_false_are_booleans(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text("a: yes\nb: no\nc: on\nd: off\nYes: [NO, On, OFF]\ne: true\nf: false\ng: True\n", encoding="utf-8")
    assert load_yaml(path).data == {
        "a": "yes",
        "b": "no",
        "c": "on",
        "d": "off",
        "Yes": ["NO", "On", "OFF"],
        "e": True,
        "f": False,
        "g": True,
    }


def test_description_no_and_yes_load_as_words(specs):
    edit(specs, "models/customers_dim/model.yaml", CUSTOMERS_DIM_DESCRIPTION, "description: no")
    edit(
        specs,
        UPSTREAM,
        "description: The nightly CRM export (a Dagster job in another code location).",
        "description: yes",
    )
    project = load_project(specs)
    assert project.specs.models["customers_dim"].spec.description == "no"
    assert project.specs.upstream.jobs["crm_export"].description == "yes"


def test_true_is_still_a_boolean_and_not_a_description(specs):
    line = edit(specs, "models/order_status/model.yaml", ORDER_STATUS_DESCRIPTION, "description: true")
    error = the_error(specs, spec_errors(specs), "models/order_status/model.yaml", "description")
    assert error.line == line
    assert error.message == 'must be a string, got bool True (quote it in YAML, e.g. "2026.1")'


# --- what an event names -------------------------------------------------------------------------


def test_unknown_model_in_model_job(specs):
    line = _listen_from_orders_enriched(specs, "model_job: customer_dim")
    error = only_error(specs, ORDERS_ENRICHED, "jobs.marketing_prd.trigger.on.0.model_job")
    assert error.line == line == 14
    assert error.message == f"unknown model 'customer_dim'; known: {MODELS}"


def test_model_job_in_an_environment_where_the_model_has_no_job(specs):
    edit(specs, ORDER_STATUS, ORDER_STATUS_SANDBOX, "")
    line = _listen_from_orders_enriched(specs, "model_job: order_status@sandbox")
    error = only_error(specs, ORDERS_ENRICHED, "jobs.marketing_prd.trigger.on.0.model_job")
    assert error.line == line == 14
    assert error.message == "model 'order_status' has no job in 'sandbox'; it has jobs in: marketing_dev, marketing_prd"


def test_model_job_without_environment_means_the_jobs_own_environment(specs):
    edit(specs, ORDER_STATUS, ORDER_STATUS_SANDBOX, "")
    line = edit(
        specs,
        ORDERS_ENRICHED,
        '  sandbox:\n    tag: "2026.2"\n',
        '  sandbox:\n    tag: "2026.2"\n    trigger: {on: [{model_job: order_status}]}\n',
    )
    error = only_error(specs, ORDERS_ENRICHED, "jobs.sandbox.trigger.on.0.model_job")
    assert error.line == line + 2
    assert error.message == "model 'order_status' has no job in 'sandbox'; it has jobs in: marketing_dev, marketing_prd"


def test_unknown_environment_after_the_at_sign(specs):
    line = _listen_from_orders_enriched(specs, "model_job: customers_dim@staging")
    error = only_error(specs, ORDERS_ENRICHED, "jobs.marketing_prd.trigger.on.0.model_job")
    assert error.line == line
    assert error.message == f"unknown environment 'staging'; allowed: {ENVIRONMENTS}"


def test_unknown_environment_of_a_job_event(specs):
    line = _set_order_status_events(specs, "[{job: crm_export@prod}]")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.trigger.on.0.job")
    assert error.line == line == 21
    assert error.message == f"unknown environment 'prod'; allowed: {ENVIRONMENTS}"


def test_unknown_deployment_lists_the_known_ones_and_upstream_yaml(specs):
    line = edit(specs, ORDERS_ENRICHED, "deployment: crm_service ", "deployment: crm_servce  ")
    error = only_error(specs, ORDERS_ENRICHED, "jobs.marketing_prd.trigger.on.1.deployment")
    assert error.line == line == 15
    assert error.message == f"unknown deployment 'crm_servce'; known: {KNOWN_DEPLOYMENTS} {DEPLOYMENTS_FROM}"


def test_unknown_job_lists_the_known_ones_and_upstream_yaml(specs):
    line = _set_order_status_events(specs, "[{job: crm_exprt}]")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.trigger.on.0.job")
    assert error.line == line == 21
    assert error.message == f"unknown job 'crm_exprt'; known: {KNOWN_JOBS} {JOBS_FROM}"


def test_a_model_name_given_as_job_gets_a_hint(specs):
    line = _set_order_status_events(specs, "[{job: customers_dim}]")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.trigger.on.0.job")
    assert error.line == line
    assert error.message == (
        "unknown job 'customers_dim'; for model 'customers_dim' use model_job: customers_dim "
        f"(or job: customers_dim_job); known: {KNOWN_JOBS} {JOBS_FROM}"
    )


def test_a_models_asset_job_is_a_known_job_in_any_environment(specs):
    _set_order_status_events(specs, "[{job: customers_dim_job}]")
    trigger = load_project(specs).triggers[("order_status", "marketing_prd")]
    assert trigger.on == (EventSource("job", "customers_dim_job", None),)


def test_an_event_naming_two_kinds(specs):
    line = _set_order_status_events(specs, "[{model_job: customers_dim, job: crm_export}]")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.trigger.on.0")
    assert error.line == line
    assert error.message == f"{ONE_KIND} (this one names model_job and job)"


def test_an_event_naming_no_kind(specs):
    line = _set_order_status_events(specs, "[{}]")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.trigger.on.0")
    assert error.line == line
    assert error.message == ONE_KIND


def test_an_empty_event_list(specs):
    line = _set_order_status_events(specs, "[]")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.trigger.on")
    assert error.line == line
    assert error.message == "must not be empty"


def test_malformed_model_job_ref(specs):
    line = _set_order_status_events(specs, "[{model_job: customers_dim@@prd}]")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.trigger.on.0.model_job")
    assert error.line == line
    assert error.message == (
        "'customers_dim@@prd' is not allowed: use model or model@environment (model: letters, digits and '_', "
        "starting with a letter; environment: lower-case letters, digits and '_')"
    )


def test_malformed_job_ref(specs):
    line = _set_order_status_events(specs, "[{job: Bad-Name}]")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.trigger.on.0.job")
    assert error.line == line
    assert error.message == (
        "'Bad-Name' is not allowed: use job or job@environment (job: letters, digits and '_', "
        "starting with a letter; environment: lower-case letters, digits and '_')"
    )


def test_on_yes_is_the_string_yes_not_a_list(specs):
    line = _set_order_status_events(specs, "yes")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.trigger.on")
    assert error.line == line
    assert error.message == "must be a list, got str"


# --- schedule ------------------------------------------------------------------------------------


def test_bad_cron(specs):
    line = edit(specs, ORDER_STATUS, ORDER_STATUS_CRON, 'schedule: {cron: "0 25 * * *"}')
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.trigger.schedule.cron")
    assert error.line == line == 20
    assert error.message == (
        f"cron expression '0 25 * * *' has an invalid hour field '25': 25 is out of range 0-23; use {CRON_RULE}"
    )


def test_unknown_timezone_suggests_close_names(specs):
    line = edit(specs, ORDER_STATUS, ORDER_STATUS_CRON, 'schedule: {cron: "*/30 * * * *", timezone: Europe/Berln}')
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.trigger.schedule.timezone")
    assert error.line == line
    assert error.message == (
        "time zone 'Europe/Berln' is unknown: use an IANA time zone name such as Europe/Berlin or UTC; "
        "did you mean Europe/Berlin or Europe/Dublin or Europe/Belfast?"
    )


# --- wait_for ------------------------------------------------------------------------------------


def test_wait_for_without_events_in_a_job(specs):
    line = edit(specs, CUSTOMERS_DIM, CUSTOMERS_DIM_SCHEDULE, f"      wait_for: all\n{CUSTOMERS_DIM_SCHEDULE}")
    error = only_error(specs, CUSTOMERS_DIM, "jobs.marketing_prd.trigger.wait_for")
    assert error.line == line == 9
    assert error.message == WAIT_FOR_WITHOUT_EVENTS


def test_wait_for_in_a_job_that_removes_the_default_events(specs):
    line = edit(specs, CUSTOMER_LTV, "trigger: {on: null}", "trigger: {on: null, wait_for: any}")
    error = only_error(specs, CUSTOMER_LTV, "jobs.sandbox.trigger.wait_for")
    assert error.line == line == 17
    assert error.message == WAIT_FOR_WITHOUT_EVENTS


def test_wait_for_without_events_in_defaults(specs):
    line = edit(
        specs,
        CUSTOMERS_DIM,
        "model: customers_dim\n",
        "model: customers_dim\ndefaults:\n  trigger:\n    wait_for: any\n",
    )
    # Once, where it is written, not once per job of the file (it has three).
    error = only_error(specs, CUSTOMERS_DIM, "defaults.trigger.wait_for")
    assert error.line == line + 3 == 5
    assert error.message == WAIT_FOR_WITHOUT_EVENTS


def test_a_bad_event_in_defaults_is_reported_once(specs):
    # customer_ltv's defaults are met by two jobs (the sandbox removes the events): one error.
    line = edit(specs, CUSTOMER_LTV, "{model_job: customers_dim}", "{model_job: customer_dim}")
    error = only_error(specs, CUSTOMER_LTV, "defaults.trigger.on.0.model_job")
    assert error.line == line == 7
    assert error.message == f"unknown model 'customer_dim'; known: {MODELS}"


# --- cycles --------------------------------------------------------------------------------------


def test_model_jobs_triggering_each_other_in_a_cycle(specs):
    line = edit(
        specs,
        CUSTOMERS_DIM,
        CUSTOMERS_DIM_SCHEDULE,
        f"      on: [{{model_job: orders_enriched}}]\n{CUSTOMERS_DIM_SCHEDULE}",
    )
    error = only_error(specs, CUSTOMERS_DIM, "jobs.marketing_prd.trigger.on")
    assert error.line == line == line_of(specs, CUSTOMERS_DIM, "      on:") == 9  # the `on` key's line
    assert error.message == (
        "Model Jobs trigger each other in a cycle, so they would run forever: "
        "customers_dim@marketing_prd -> orders_enriched@marketing_prd -> customers_dim@marketing_prd "
        "(each runs after the next)"
    )


def test_a_model_job_triggered_by_itself(specs):
    line = edit(
        specs,
        CUSTOMERS_DIM,
        CUSTOMERS_DIM_SCHEDULE,
        f"      on: [{{model_job: customers_dim}}]\n{CUSTOMERS_DIM_SCHEDULE}",
    )
    error = only_error(specs, CUSTOMERS_DIM, "jobs.marketing_prd.trigger.on")
    assert error.line == line == line_of(specs, CUSTOMERS_DIM, "      on:") == 9
    assert error.message == "customers_dim@marketing_prd runs after itself, so it would run forever"


def test_a_model_job_triggered_by_its_own_asset_job(specs):
    line = edit(
        specs,
        CUSTOMER_LTV,
        '  marketing_prd:\n    tag: "2026.1"\n',
        '  marketing_prd:\n    tag: "2026.1"\n    trigger: {on: [{job: customer_ltv_job@marketing_prd}]}\n',
    )
    error = only_error(specs, CUSTOMER_LTV, "jobs.marketing_prd.trigger.on")
    assert error.line == line + 2 == 14  # `trigger: {on: ...}`: the `on` key is on this line
    assert error.message == "customer_ltv@marketing_prd runs after itself, so it would run forever"


def test_a_model_job_triggered_by_itself_through_the_defaults(specs):
    line = edit(specs, CUSTOMER_LTV, "{model_job: customers_dim}", "{model_job: customer_ltv}")
    # Both customer_ltv@marketing_dev and @marketing_prd listen to themselves; the first is reported,
    # where the events are written.
    error = only_error(specs, CUSTOMER_LTV, "defaults.trigger.on")
    assert error.line == line == 7
    assert error.message == "customer_ltv@marketing_dev runs after itself, so it would run forever"


def test_a_cycle_through_an_asset_job_of_any_environment(specs):
    # customers_dim@marketing_prd runs after every run of customer_ltv_job, which includes
    # customer_ltv@marketing_prd, which runs after customers_dim@marketing_prd.
    edit(
        specs, CUSTOMERS_DIM, CUSTOMERS_DIM_SCHEDULE, f"      on: [{{job: customer_ltv_job}}]\n{CUSTOMERS_DIM_SCHEDULE}"
    )
    # Reported at the first job of the cycle, customer_ltv@marketing_prd, whose events come from
    # defaults.trigger.on: that field, at the line of its `on` key.
    error = only_error(specs, CUSTOMER_LTV, "defaults.trigger.on")
    assert error.line == line_of(specs, CUSTOMER_LTV, "    on: [") == 7
    assert error.message == (
        "Model Jobs trigger each other in a cycle, so they would run forever: "
        "customer_ltv@marketing_prd -> customers_dim@marketing_prd -> customer_ltv@marketing_prd "
        "(each runs after the next)"
    )


# --- upstream.yaml -------------------------------------------------------------------------------


def test_upstream_deployment_named_like_a_model(specs):
    line = edit(specs, UPSTREAM, "  crm_service:\n", "  customers_dim:\n  crm_service:\n")
    error = only_error(specs, UPSTREAM, "deployments.customers_dim")
    assert error.line == line == 5
    assert error.message == (
        "'customers_dim' is a model: its deployments are known without an entry here (`model-jobs deploy`); "
        "remove it, or name the upstream deployment differently"
    )


def test_upstream_job_named_like_a_model_is_accepted(specs):
    # A model's own job is order_status_job, so a Dagster job called order_status is another one.
    edit(specs, UPSTREAM, "  crm_export:\n", "  order_status:\n  crm_export:\n")
    _listen_from_orders_enriched(specs, "job: order_status")
    project = load_project(specs)
    assert "order_status" in project.specs.upstream.jobs
    assert project.triggers[("orders_enriched", "marketing_prd")].on == (
        EventSource("job", "order_status", None),
        EventSource("deployment", "crm_service", "marketing_prd"),
    )


def test_upstream_job_named_like_a_models_asset_job(specs):
    line = edit(specs, UPSTREAM, "  crm_export:\n", "  customers_dim_job:\n  crm_export:\n")
    error = only_error(specs, UPSTREAM, "jobs.customers_dim_job")
    assert error.line == line == 8
    assert error.message == (
        "'customers_dim_job' is the job of model 'customers_dim': it is known without an entry here; "
        "remove it, or name the upstream job differently"
    )


def test_upstream_unknown_top_level_key(specs):
    line = edit(specs, UPSTREAM, "jobs:\n", "sensors:\n  crm_sensor:\njobs:\n")
    # Only the file's own error: the triggers naming its deployment and job get no follow-on
    # "unknown" errors while it is rejected.
    error = only_error(specs, UPSTREAM, "sensors")
    assert error.line == line == 7
    assert error.message == "unknown field 'sensors'; allowed: deployments, jobs"


def test_upstream_name_with_invalid_characters(specs):
    line = edit(specs, UPSTREAM, "  crm_service:\n", "  crm-service:\n  crm_service:\n")
    error = only_error(specs, UPSTREAM, "deployments.crm-service")  # no follow-on errors either
    assert error.line == line == 5
    assert error.message == "'crm-service' is not allowed: use letters, digits and '_', starting with a letter"


def test_an_empty_upstream_yaml_declares_nothing_like_a_missing_one(specs):
    def found():
        return [(rel(specs, e), e.field, e.line, e.message) for e in spec_errors(specs)]

    (specs / UPSTREAM).unlink()
    missing = found()
    for text in ("", "# nothing outside job_specs/ yet\n"):
        edit(specs, UPSTREAM, text=text)
        assert found() == missing  # only the triggers naming crm_export and crm_service
    _set_order_status_events(specs, "[{job: customers_dim_job}]")
    edit(
        specs,
        ORDERS_ENRICHED,
        "        - deployment: crm_service           # a CRM release went live in marketing_prd\n",
        "",
    )
    upstream = load_project(specs).specs.upstream
    assert upstream.deployments == {} and upstream.jobs == {}


def test_without_upstream_yaml_its_names_are_unknown(specs):
    (specs / UPSTREAM).unlink()
    errors = spec_errors(specs)
    assert where(specs, errors) == [
        (ORDER_STATUS, "jobs.marketing_prd.trigger.on.0.job"),
        (ORDERS_ENRICHED, "jobs.marketing_prd.trigger.on.1.deployment"),
    ]
    assert errors[0].message == (
        "unknown job 'crm_export'; known: customer_ltv_job, customers_dim_job, order_status_job, "
        f"orders_enriched_job {JOBS_FROM}"
    )
    assert errors[1].message == (
        f"unknown deployment 'crm_service'; known: customer_ltv, customers_dim, order_status, orders_enriched "
        f"{DEPLOYMENTS_FROM}"
    )


# --- follow-on errors ----------------------------------------------------------------------------


def test_a_job_rejected_for_its_tag_gets_no_follow_on_trigger_errors(specs):
    line = edit(specs, CUSTOMERS_DIM, "tag: sprint-41", "tag: sprint-40")
    error = only_error(specs, CUSTOMERS_DIM, "jobs.marketing_prd.tag")
    assert error.line == line


def test_a_job_file_rejected_for_its_trigger_gives_no_follow_on_errors_where_its_jobs_are_named(specs):
    # customer_ltv and orders_enriched listen to customers_dim's jobs, which are unknown until the
    # file parses: they must not be reported as missing.
    line = edit(specs, CUSTOMERS_DIM, '"0 6 * * 1-5"', '"0 25 * * *"')
    error = only_error(specs, CUSTOMERS_DIM, "jobs.marketing_prd.trigger.schedule.cron")
    assert error.line == line == 9
    assert error.message.startswith("cron expression '0 25 * * *' has an invalid hour field '25'")


def test_a_job_file_not_named_after_its_model_and_rejected_gives_no_follow_on_errors(specs):
    # The rejected file's own `model:` says whose jobs it holds, whatever the file is called.
    line = edit(specs, CUSTOMERS_DIM, '"0 6 * * 1-5"', '"0 25 * * *"')
    (specs / CUSTOMERS_DIM).rename(specs / "jobs/dims.yaml")
    error = only_error(specs, "jobs/dims.yaml", "jobs.marketing_prd.trigger.schedule.cron")
    assert error.line == line == 9
    assert error.message.startswith("cron expression '0 25 * * *' has an invalid hour field '25'")


def test_an_unparsable_job_file_named_after_its_model_gives_no_follow_on_errors(specs):
    # Its `model:` cannot be read, so the file name says whose jobs it holds.
    edit(specs, CUSTOMERS_DIM, text="model: customers_dim\njobs: [\n")
    error = only_error(specs, CUSTOMERS_DIM, "")
    assert error.line == 3
    assert (
        error.message == "invalid YAML: while parsing a flow node expected the node content, but found '<stream end>'"
    )


def test_an_invalid_model_yaml_gives_no_follow_on_errors_where_its_jobs_are_named(specs):
    line = edit(specs, "models/customers_dim/model.yaml", CUSTOMERS_DIM_DESCRIPTION, "description: true")
    error = only_error(specs, "models/customers_dim/model.yaml", "description")
    assert error.line == line
    assert error.message == 'must be a string, got bool True (quote it in YAML, e.g. "2026.1")'


# --- all at once, and the command ----------------------------------------------------------------


def test_trigger_errors_in_several_files_are_all_reported(specs):
    unknown_model = _listen_from_orders_enriched(specs, "model_job: customer_dim")
    unknown_job = _set_order_status_events(specs, "[{job: crm_exprt}]")
    wait_for = edit(specs, CUSTOMERS_DIM, CUSTOMERS_DIM_SCHEDULE, f"      wait_for: all\n{CUSTOMERS_DIM_SCHEDULE}")
    upstream = edit(specs, UPSTREAM, "  crm_export:\n", "  customers_dim_job:\n  crm_export:\n")
    errors = spec_errors(specs)
    assert [(rel(specs, e), e.field, e.line) for e in errors] == [
        (CUSTOMERS_DIM, "jobs.marketing_prd.trigger.wait_for", wait_for),
        (ORDER_STATUS, "jobs.marketing_prd.trigger.on.0.job", unknown_job),
        (ORDERS_ENRICHED, "jobs.marketing_prd.trigger.on.0.model_job", unknown_model),
        (UPSTREAM, "jobs.customers_dim_job", upstream),
    ]


def test_validate_prints_the_trigger_error_with_file_and_line_and_exits_1(specs, capsys):
    line = _set_order_status_events(specs, "[{job: crm_exprt}]")
    assert main(["validate", str(specs)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == (
        "job_specs are invalid (1 error):\n"
        f"  - {specs / ORDER_STATUS}:{line}: jobs.marketing_prd.trigger.on.0.job: "
        f"unknown job 'crm_exprt'; known: {KNOWN_JOBS} {JOBS_FROM}"
    )
