"""The dispatcher's decisions over plain records: which Model Jobs events start, exactly once."""

from __future__ import annotations

import pytest

from model_jobs.compile.dispatch import DispatchState, Event, TriggerIndex, evaluate
from model_jobs.compile.triggers import EventSource, Trigger

ENVS = ["marketing_dev", "marketing_prd", "sandbox"]


def _trigger(model: str, env: str, *sources: EventSource, wait_for: str = "any") -> Trigger:
    return Trigger(model, env, None, tuple(sources), wait_for)  # type: ignore[arg-type]


def _model_job(name: str, env: str) -> EventSource:
    return EventSource("model_job", name, env)


# orders_enriched runs after customers_dim in each environment; customer_ltv@marketing_prd waits
# for both customers_dim and a CRM deployment there.
TRIGGERS = [
    *(_trigger("orders_enriched", env, _model_job("customers_dim", env)) for env in ENVS),
    _trigger(
        "customer_ltv",
        "marketing_prd",
        _model_job("customers_dim", "marketing_prd"),
        EventSource("deployment", "crm_service", "marketing_prd"),
        wait_for="all",
    ),
    _trigger("order_status", "marketing_prd", EventSource("job", "crm_export", None)),
]
INDEX = TriggerIndex(TRIGGERS, ENVS)


def _environments_of(model: str) -> list[str]:
    return ENVS


def _run(state: DispatchState, events: list[Event], in_flight: set[str] = frozenset()):  # type: ignore[assignment]
    asked: list[list[str]] = []

    def in_flight_of(keys):
        asked.append(list(keys))
        return {k for k in keys if k in in_flight}

    result = evaluate(INDEX, state, events, _environments_of, in_flight_of)
    assert len(asked) <= 1, "the runs in flight are read once per evaluation"
    return result


def _materialized(storage_id: int, model: str, env: str | None) -> Event:
    return Event(storage_id, "model_job", model, env)


def test_an_event_starts_only_the_jobs_of_its_environment():
    result = _run(
        DispatchState(after=10),
        [_materialized(11, "customers_dim", "marketing_prd"), _materialized(12, "customers_dim", "sandbox")],
    )
    assert sorted((r.trigger.key, r.run_key) for r in result.runs) == [
        ("orders_enriched@marketing_prd", "orders_enriched@marketing_prd:11"),
        ("orders_enriched@sandbox", "orders_enriched@sandbox:12"),
    ]
    assert result.state.after == 12
    assert "orders_enriched@marketing_dev" not in result.decisions


def test_wait_for_all_waits_then_fires_once_and_starts_over():
    first = _run(DispatchState(after=0), [_materialized(1, "customers_dim", "marketing_prd")])
    assert "customer_ltv@marketing_prd" not in {r.trigger.key for r in first.runs}
    assert first.decisions["customer_ltv@marketing_prd"] == (
        "waiting for all: deployment crm_service@marketing_prd not seen since its last triggered run"
    )
    # The same event again does not complete the set.
    again = _run(first.state, [_materialized(2, "customers_dim", "marketing_prd")])
    assert "customer_ltv@marketing_prd" not in {r.trigger.key for r in again.runs}

    done = _run(again.state, [Event(3, "deployment", "crm_service", "marketing_prd")])
    assert [r.run_key for r in done.runs] == ["customer_ltv@marketing_prd:3"]
    assert done.state.seen == {}
    # A new round needs every event again.
    next_round = _run(done.state, [Event(4, "deployment", "crm_service", "marketing_prd")])
    assert next_round.runs == ()
    assert next_round.state.seen == {"customer_ltv@marketing_prd": ["deployment crm_service@marketing_prd"]}


def test_a_burst_while_a_run_is_in_flight_gives_one_follow_up_run():
    key = "orders_enriched@marketing_prd"
    state = DispatchState(after=0)
    for storage_id in range(1, 11):  # ten events, one per evaluation, while a run is in flight
        result = _run(state, [_materialized(storage_id, "customers_dim", "marketing_prd")], in_flight={key})
        assert result.runs == ()
        assert result.decisions[key].startswith("a run is in flight; one follow-up run is pending")
        state = result.state
    assert state.pending == {key: 10}

    quiet = _run(state, [], in_flight={key})  # still in flight, nothing new: still pending
    assert quiet.runs == () and quiet.state.pending == {key: 10}

    finished = _run(quiet.state, [])  # the run ended: exactly one follow-up
    assert [r.run_key for r in finished.runs] == [f"{key}:10"]
    assert finished.state.pending == {}
    assert _run(finished.state, []).runs == ()


def test_events_in_one_evaluation_coalesce_into_one_run():
    events = [_materialized(i, "customers_dim", "marketing_prd") for i in (5, 3, 4)]
    result = _run(DispatchState(after=2), events)
    assert [r.run_key for r in result.runs] == ["orders_enriched@marketing_prd:5"]
    assert len(result.runs[0].events) == 3


def test_the_cursor_round_trips_and_resumes_without_repeat_or_loss():
    waiting = _run(
        DispatchState(after=0),
        [_materialized(1, "customers_dim", "marketing_prd")],
        in_flight={"orders_enriched@marketing_prd"},
    )
    cursor = waiting.state.to_cursor()
    resumed = DispatchState.from_cursor(cursor)
    assert resumed == waiting.state
    # Evaluating the same events again from the stored cursor asks for the same run key: Dagster
    # drops the repeat. (The dispatcher reads only events after `after`, so it never sees them.)
    one = _run(resumed, [])
    two = _run(DispatchState.from_cursor(cursor), [])
    assert [r.run_key for r in one.runs] == [r.run_key for r in two.runs] == ["orders_enriched@marketing_prd:1"]


@pytest.mark.parametrize(
    "cursor", ["not json", '{"v": 99, "after": 1, "seen": {}, "pending": {}}', '{"v": 1}', "[1, 2]"]
)
def test_an_unreadable_cursor_is_an_error_not_a_fresh_start(cursor):
    with pytest.raises(ValueError, match="the dispatcher's cursor cannot be read"):
        DispatchState.from_cursor(cursor)


def test_no_cursor_is_a_dispatcher_that_has_read_nothing():
    assert DispatchState.from_cursor(None) == DispatchState()


def test_deployments_for_no_or_unknown_environment_are_ignored_with_a_reason():
    result = _run(
        DispatchState(after=0),
        [Event(1, "deployment", "crm_service", None), Event(2, "deployment", "crm_service", "bogus")],
    )
    assert result.runs == ()
    assert result.ignored == (
        "ignored event 1: deployment crm_service was reported without an environment: report it with "
        "partition=<environment>",
        "ignored event 2: deployment crm_service was reported for 'bogus', which is not an environment "
        "(allowed: marketing_dev, marketing_prd, sandbox)",
    )
    assert result.state.after == 2  # read, so not read again


def test_a_materialization_of_a_partition_without_a_job_is_ignored():
    index = TriggerIndex(TRIGGERS, ENVS)
    result = evaluate(
        index,
        DispatchState(after=0),
        [_materialized(1, "customers_dim", "marketing_prd")],
        environments_of=lambda model: ["marketing_dev"],
        in_flight_of=lambda keys: set(),
    )
    assert result.runs == ()
    assert result.ignored == (
        "ignored event 1: model customers_dim materialized partition 'marketing_prd', which has no Model Job",
    )


def test_a_job_event_without_an_environment_matches_any_run_of_the_job():
    result = _run(DispatchState(after=0), [Event(7, "job", "crm_export", None)])
    assert [r.run_key for r in result.runs] == ["order_status@marketing_prd:7"]


def test_events_nobody_listens_to_only_move_the_cursor():
    result = _run(DispatchState(after=0), [_materialized(9, "order_status", "marketing_prd")])
    assert result.runs == () and result.reasons == () and result.state.after == 9


def test_state_of_jobs_whose_trigger_was_removed_is_dropped():
    state = DispatchState(
        after=5, seen={"gone@marketing_prd": ["model_job x@marketing_prd"]}, pending={"gone@sandbox": 3}
    )
    result = _run(state, [])
    assert result.state.seen == {} and result.state.pending == {} and result.runs == ()
