"""Cron expressions and time zone names of `trigger.schedule`, checked without Dagster.

Dagster 1.13 validates a schedule's cron with `dagster._utils.schedules.is_valid_cron_string`: the
string must expand, with its vendored croniter, to five fields (no seconds or year field) and must
not be the 30th or 31st of February. `check_cron` accepts a subset of that: everything it accepts,
Dagster accepts (model_jobs_tests/specs/test_cron.py compares the two). It is stricter where croniter
accepts something Dagster would not run, or would run differently from what the expression says:

- croniter extensions: `R` (a random value, drawn anew on every expansion, so even Dagster's own
  validation of `R` can pass once and fail the next time), `H` (Dagster rejects it anyway), `L`, `#`
  and `?`. They are not standard cron, so a reader of the
  spec cannot be assumed to know them.
- ranges that do not run forwards: croniter reads `5-1` as wrapping round (5-59 and 0-1) and `9-9`
  as the whole field (every hour, not 9 o'clock); it also checks only a range's larger end, so it
  takes day `0` in `21-0`.
- a step larger than the range it steps through (`*/90`): it selects only the range's start; Dagster
  warns about it (dagster-io/dagster#15294).
- a day of the month that no listed month has (`31 4`, `30,31 2`): Dagster accepts some of these but
  its schedule iterator fails on them (croniter finds no matching date).
- digits other than ASCII 0-9 (croniter takes any Unicode digit).
"""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo
from typing import NamedTuple

CRON_RULE = (
    "five fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or jan-dec) "
    "day-of-week (0-7 or sun-sat, 0 and 7 are Sunday), each '*', a number, a range a-b, "
    "a step */n, a-b/n or a/n, or a comma list of these; or one of @hourly, @daily, @midnight, "
    "@weekly, @monthly, @yearly, @annually"
)

# croniter's macros (matched case-insensitively, as croniter does).
_MACROS = frozenset({"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"})

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# February counts as 29 days: `29 2` fires in leap years.
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_NUMBER = re.compile(r"[0-9]+")  # not \d, which also matches other scripts' digits


class _Field(NamedTuple):
    name: str
    low: int
    high: int
    names: dict[str, int]
    # Where croniter ends '*' and a/n: the field's end, except that 7 (Sunday again) is only an
    # alias in day-of-week, so there `*/2` and `5/2` end at 6.
    star_high: int


_FIELDS = (
    _Field("minute", 0, 59, {}, 59),
    _Field("hour", 0, 23, {}, 23),
    _Field("day-of-month", 1, 31, {}, 31),
    _Field("month", 1, 12, {name: i for i, name in enumerate(_MONTHS, start=1)}, 12),
    _Field("day-of-week", 0, 7, {name: i for i, name in enumerate(_WEEKDAYS)}, 6),
)


def check_cron(value: str) -> str:
    """The expression with its whitespace normalized, or ValueError saying what is wrong."""
    expression = " ".join(value.split())

    def fail(problem: str) -> ValueError:
        return ValueError(f"cron expression '{expression}' {problem}; use {CRON_RULE}")

    if not expression:
        raise fail("is empty")
    if expression.startswith("@"):
        if expression.lower() in _MACROS:
            return expression
        raise fail("is not a known macro")
    texts = expression.split(" ")
    if len(texts) != len(_FIELDS):
        raise fail(f"has {len(texts)} fields, not 5 (seconds and year fields are not supported)")
    selected: list[set[int]] = []
    for field, text in zip(_FIELDS, texts, strict=True):
        values: set[int] = set()
        try:
            for item in text.split(","):
                values |= _expand(field, item)
        except ValueError as error:
            raise fail(f"has an invalid {field.name} field '{text}': {error}") from None
        selected.append(values)
    days, months = selected[2], selected[3]
    if min(days) > max(_DAYS_IN_MONTH[month - 1] for month in months):
        raise fail(f"never fires: no month in month field '{texts[3]}' has a day in day-of-month field '{texts[2]}'")
    return expression


def _expand(field: _Field, item: str) -> set[int]:
    """The values one comma-separated item of a field selects."""
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not _NUMBER.fullmatch(step_text):
            raise ValueError(f"step '{step_text}' is not a number")
        step = int(step_text)
        if step == 0:
            raise ValueError("a step must be at least 1")
    if base == "*":
        low, high = field.low, field.star_high
    elif "-" in base:
        start, _, end = base.partition("-")
        low, high = _value(field, start), _value(field, end)
        # croniter reads a backwards range as wrapping round the field, and a-a as all of it
        if low == high:
            raise ValueError(f"range '{base}' has a single value; write just {start}")
        if low > high:
            split = f"{low}-{field.star_high},{field.low}-{high}"
            raise ValueError(f"range '{base}' runs backwards ({low} to {high}); to wrap round, write {split}")
    else:
        low = _value(field, base)
        if not slash:
            return {low}
        high = field.star_high  # a/n means a-max/n
    # Also catches a/n at the field's end (`59/1`, `sat/1`), which croniter reads as a-a: all of it.
    if step > high - low:
        raise ValueError(f"step {step} is larger than the range {low}-{high}, so it selects only {low}")
    return set(range(low, high + 1, step))


def _value(field: _Field, text: str) -> int:
    if not text:
        raise ValueError("a value is missing")
    lowered = text.lower()  # croniter lowercases names
    if lowered in field.names:
        return field.names[lowered]
    if not _NUMBER.fullmatch(text):
        kind = f" or a {field.name} name" if field.names else ""
        raise ValueError(f"'{text}' is not a number{kind}")
    number = int(text)
    if not field.low <= number <= field.high:
        raise ValueError(f"{number} is out of range {field.low}-{field.high}")
    return number


# In available_timezones() on some systems but not places: the host's own zone, and tzdata's
# placeholder for "no zone configured".
_NOT_PLACES = frozenset({"localtime", "Factory"})


@functools.cache
def _timezones() -> dict[str, str]:
    """Every IANA name zoneinfo knows, by its lower-case form (for suggestions)."""
    return {name.lower(): name for name in zoneinfo.available_timezones() - _NOT_PLACES}


def _loads(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def check_timezone(value: str) -> str:
    """The name, if it is an IANA time zone name, or ValueError suggesting close matches.

    Membership in available_timezones() comes first: ZoneInfo alone also opens paths and files such
    as 'posixrules', 'right/UTC' or, on a case-insensitive file system, 'europe/berlin'.
    """
    names = _timezones()
    if names.get(value.lower()) == value and _loads(value):
        return value
    # A name that differs only in case has one obvious correction; otherwise offer what is close.
    close = [value.lower()] if value.lower() in names else difflib.get_close_matches(value.lower(), names, n=3)
    suggestion = f"; did you mean {' or '.join(names[name] for name in close)}?" if close else ""
    raise ValueError(
        f"time zone '{value}' is unknown: use an IANA time zone name such as Europe/Berlin or UTC{suggestion}"
    )
