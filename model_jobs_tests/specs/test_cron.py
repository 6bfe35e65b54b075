"""check_cron and check_timezone against what Dagster itself accepts.

The checks must never accept what Dagster rejects. Where Dagster (its vendored croniter) accepts
an expression that would not run as written, check_cron is deliberately stricter: STRICTER lists
those, and a test pins that Dagster still accepts them (so the list stays true).
"""

from __future__ import annotations

import datetime
import warnings
import zoneinfo

import dagster
import pytest
from dagster._utils.schedules import cron_string_iterator  # the iterator Dagster's schedules tick with
from hypothesis import given, settings
from hypothesis import strategies as st

from model_jobs.specs.cron import CRON_RULE, check_cron, check_timezone

# Both accept.
VALID = [
    "0 6 * * *",
    "* * * * *",
    "*/15 * * * *",
    "0 */2 * * *",
    "0 9-17 * * 1-5",
    "0 9-17/2 * * mon-fri",
    "5,10,15 * * * *",
    "0 0 1,15 * *",
    "0 6 * jan,jul *",
    "0 6 * JAN-MAR Mon",
    "30 4 1 1 *",
    "59 23 31 12 *",
    "0 0 * * 0",
    "0 0 * * 7",
    "0 0 * * 5-7",
    "0 0 * * 1-7/2",
    "0 0 * * sun-sat/2",
    "5/15 * * * *",
    "05 06 * * *",
    "0 0 29 2 *",
    "0 0 29,30 2 *",
    "0 0 31 1-3 *",
    "0 0 30 1,2 *",
    "0 0 1 * mon",
    "@hourly",
    "@daily",
    "@midnight",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
    "@DAILY",
    "  0 6 * * *  ",
    "0\t6 * * *",
    "0 6\n* * *",
    "0  6   *  * *\n",
    " @daily ",  # Dagster rejects the padded string itself; it gets (and accepts) what we return
]

# Both reject.
INVALID = [
    "",
    "   ",
    "0 6 * *",
    "0 6 * * * *",  # seconds field
    "0 0 6 * * * 2026",  # year field
    "60 * * * *",
    "0 24 * * *",
    "0 0 0 * *",
    "0 0 32 * *",
    "0 0 * 0 *",
    "0 0 * 13 *",
    "0 0 * * 8",
    "* * 31 2 *",
    "0 0 30 feb *",
    "*/0 * * * *",
    "1-5/0 * * * *",
    "-1 * * * *",
    "+5 * * * *",
    "1-2-3 * * * *",
    "*/5/2 * * * *",
    "*/ * * * *",
    "*-5 * * * *",
    "1, * * * *",
    ",1 * * * *",
    "* * * * jan",
    "0 0 1 mon *",
    "0 0 * * monday",
    "0x5 * * * *",
    "5.0 * * * *",
    "every day at six",
    "@reboot",
    "@every 5m",
    "H * * * *",  # croniter's hashed value needs an id Dagster does not pass
    "0 0 * * 5L",
    "0 0 l2 * *",
]

# Dagster accepts, check_cron rejects, and why.
STRICTER = {
    "R * * * *": "a random minute, drawn anew by every process that reads the schedule",
    "0 0 L * *": "croniter's last-day-of-month extension",
    "0 0 1-L * *": "croniter's last-day-of-month extension",
    "0 0 * * L5": "croniter's last-weekday extension",
    "0 0 * * 5#2": "croniter's nth-weekday extension",
    "0 0 ? * mon": "Quartz's no-specific-value, read as *",
    "5-1 * * * *": "a backwards range, which croniter wraps round",
    "0 22-2 * * *": "a backwards range, which croniter wraps round",
    "0 0 * * fri-mon": "a backwards range, which croniter wraps round",
    "9-9 * * * *": "croniter reads a-a as the whole field: every minute",
    "* * * * 7-7": "croniter reads a-a as the whole field: every day",
    "0 0 * * 6/1": "croniter reads 6/1 as 6-6, the whole field",
    "59/1 * * * *": "croniter reads 59/1 as 59-59, the whole field",
    "*/90 * * * *": "a step beyond the range selects only its start; Dagster warns",
    "0-59/60 * * * *": "a step beyond the range selects only its start",
    "0 */24 * * *": "a step beyond the range selects only its start",
    "0 0 * * */7": "a step beyond the range (0-6) selects only its start",
    "0 0 21-0 * *": "day 0 does not exist; croniter checks only the larger end of a range",
    "0 0 31 4 *": "April has no 31st; Dagster's iterator fails",
    "0 0 31 11 *": "November has no 31st; Dagster's iterator fails",
    "0 0 30,31 2 *": "February has no 30th or 31st; Dagster's iterator fails",
    "\u0665 * * * *": "an Arabic-Indic digit five",
    "\uff11 * * * *": "a fullwidth digit one",
}


def dagster_accepts(expression: str) -> bool:
    """Whether a Dagster schedule can be defined with this cron."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the out-of-range-step warning
            dagster.ScheduleDefinition(name="s", cron_schedule=expression, job_name="j")
    except dagster.DagsterInvalidDefinitionError:
        return False
    return True


def accepts(expression: str) -> bool:
    try:
        check_cron(expression)
    except ValueError:
        return False
    return True


def next_ticks(expression: str, timezone: str = "Europe/Berlin", count: int = 3) -> list[datetime.datetime]:
    start = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC).timestamp()
    ticks = cron_string_iterator(start, expression, timezone)
    return [next(ticks) for _ in range(count)]


def test_the_corpus_is_not_trivially_small():
    assert len(VALID) + len(INVALID) + len(STRICTER) >= 40
    assert not set(VALID) & set(INVALID)


@pytest.mark.parametrize("expression", VALID + INVALID)
def test_agrees_with_dagster(expression):
    # Dagster sees what we return (normalized whitespace), so that is what it is asked about.
    assert accepts(expression) == dagster_accepts(" ".join(expression.split()))


@pytest.mark.parametrize("expression", VALID)
def test_valid_is_normalized_and_ticks_in_dagster(expression):
    normalized = check_cron(expression)
    assert normalized == " ".join(expression.split())
    assert dagster_accepts(normalized)
    assert len(next_ticks(normalized)) == 3


@pytest.mark.parametrize("expression", INVALID + list(STRICTER))
def test_invalid_says_what_to_use(expression):
    with pytest.raises(ValueError, match=r"^cron expression '") as raised:
        check_cron(expression)
    assert str(raised.value).endswith("; use " + CRON_RULE)


@pytest.mark.parametrize("expression", list(STRICTER))
def test_stricter_than_dagster_only_where_intended(expression):
    """Dagster still accepts these; if it stops, move the expression to INVALID."""
    assert dagster_accepts(expression)
    assert not accepts(expression)


@pytest.mark.parametrize(
    ("expression", "fragments"),
    [
        ("0 25 * * *", ["cron expression '0 25 * * *'", "hour field '25': 25 is out of range 0-23"]),
        ("60 * * * *", ["minute field '60': 60 is out of range 0-59"]),
        ("0 6 1,32 * *", ["day-of-month field '1,32': 32 is out of range 1-31"]),
        ("*/0 * * * *", ["minute field '*/0': a step must be at least 1"]),
        ("0 0 * * monday", ["day-of-week field 'monday': 'monday' is not a number or a day-of-week name"]),
        ("0 0 1 foo *", ["month field 'foo': 'foo' is not a number or a month name"]),
        ("0 0 L * *", ["day-of-month field 'L': 'L' is not a number"]),
        ("1, * * * *", ["minute field '1,': a value is missing"]),
        ("5-1 * * * *", ["minute field '5-1': range '5-1' runs backwards (5 to 1); to wrap round, write 5-59,0-1"]),
        ("0 0 * * fri-mon", ["range 'fri-mon' runs backwards (5 to 1); to wrap round, write 5-6,0-1"]),
        ("0 9-9 * * *", ["hour field '9-9': range '9-9' has a single value; write just 9"]),
        ("*/90 * * * *", ["step 90 is larger than the range 0-59, so it selects only 0"]),
        ("0 0 31 4,6 *", ["never fires: no month in month field '4,6' has a day in day-of-month field '31'"]),
        ("0 6 * *", ["has 4 fields, not 5"]),
        ("0 0 6 * * *", ["has 6 fields, not 5 (seconds and year fields are not supported)"]),
        ("  ", ["cron expression '' is empty"]),
        ("@reboot", ["'@reboot' is not a known macro"]),
    ],
)
def test_messages_name_the_field_and_the_rule(expression, fragments):
    with pytest.raises(ValueError, match="use ") as raised:
        check_cron(expression)
    for fragment in fragments:
        assert fragment in str(raised.value)


# Fields built from cron's pieces (and croniter's extensions), valid or not, so that both sides
# of the comparison are exercised.
_atom = st.one_of(
    st.integers(0, 65).map(str),
    st.sampled_from(["*", "mon", "sun", "sat", "jan", "feb", "dec", "L", "l3", "5#2", "?", "R", "H", "7", "00"]),
)
_item = st.builds(
    lambda first, second, step: first + (f"-{second}" if second else "") + (f"/{step}" if step is not None else ""),
    _atom,
    st.none() | _atom,
    st.none() | st.integers(0, 70),
)
_field = st.lists(_item, min_size=1, max_size=3).map(",".join)
_expression = st.lists(_field, min_size=4, max_size=6).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(_expression)
def test_never_accepts_what_dagster_rejects(expression):
    if accepts(expression):
        assert dagster_accepts(expression)
        next_ticks(expression, count=1)


@settings(max_examples=300, deadline=None)
@given(
    st.tuples(st.integers(0, 59), st.integers(0, 23), st.integers(1, 28), st.integers(1, 12), st.integers(0, 7)).map(
        lambda fields: " ".join(map(str, fields))
    )
)
def test_plain_numbers_agree_with_dagster(expression):
    assert accepts(expression) and dagster_accepts(expression)


# --- time zones ---


@pytest.mark.parametrize("name", ["Europe/Berlin", "UTC", "America/New_York", "Asia/Kolkata", "Etc/GMT+5"])
def test_iana_names_are_accepted(name):
    assert check_timezone(name) == name


def test_a_misspelling_gets_a_suggestion():
    with pytest.raises(ValueError, match="did you mean Europe/Berlin") as raised:
        check_timezone("Europe/Berln")
    assert "time zone 'Europe/Berln' is unknown" in str(raised.value)


@pytest.mark.parametrize(("name", "suggestion"), [("europe/berlin", "Europe/Berlin"), ("utc", "UTC"), (" UTC", "UTC")])
def test_a_wrong_case_or_stray_space_gets_the_one_right_name(name, suggestion):
    with pytest.raises(ValueError, match=f"did you mean {suggestion}\\?$"):
        check_timezone(name)


@pytest.mark.parametrize(
    "name",
    ["", "../etc/passwd", "Mars/Olympus", "/usr/share/zoneinfo/UTC", "posixrules", "right/UTC", "localtime", "Factory"],
)
def test_non_names_are_rejected(name):
    with pytest.raises(ValueError, match="an IANA time zone name such as Europe/Berlin or UTC"):
        check_timezone(name)


def test_no_suggestion_when_nothing_is_close():
    with pytest.raises(ValueError, match="is unknown") as raised:
        check_timezone("Mars/Olympus")
    assert "did you mean" not in str(raised.value)


def test_every_accepted_time_zone_works_in_a_dagster_schedule():
    accepted = []
    for name in sorted(zoneinfo.available_timezones()):
        try:
            accepted.append(check_timezone(name))
        except ValueError:
            continue
    assert len(accepted) > 500
    failures = []
    for name in accepted:
        try:
            dagster.ScheduleDefinition(name="s", cron_schedule="0 6 * * *", execution_timezone=name, job_name="j")
            next_ticks("0 6 * * *", timezone=name, count=1)
        except Exception as error:
            failures.append(f"{name}: {error!r}")
    assert failures == []
