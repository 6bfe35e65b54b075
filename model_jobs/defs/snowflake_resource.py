"""`dagster_snowflake.SnowflakeResource`, imported without Snowpark and the Snowflake REST API.

`dagster_snowflake.resources` imports `snowflake.snowpark` and seven `snowflake.core` modules at
the top, for methods we never call (`create_snowpark_session`, `get_databases`, ...): ~3 s of the
~4.6 s its import costs, paid by every process that loads this code location (the code server,
each run worker, each command). They are imported here as stand-ins that import the real module
the first time one of their names is used, so those methods still work, just later. The
stand-ins are only in place while dagster_snowflake is imported; anything imported afterwards
(by us or anyone) gets the real modules.

`model_jobs_tests/defs/test_snowflake_resource.py` checks that the names dagster_snowflake takes
from these modules are the ones listed here, so a new version that imports more fails a test
instead of loading slowly or breaking.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

SQL_EVENT_LOG = "dagster._core.storage.event_log.sql_event_log"

# The modules dagster_snowflake.resources imports at its top and uses only inside methods (and
# in annotations, which only hold the name).
DEFERRED_MODULES = (
    "snowflake.snowpark",
    "snowflake.core",
    "snowflake.core.database",
    "snowflake.core.pipe",
    "snowflake.core.schema",
    "snowflake.core.stage",
    "snowflake.core.table",
    "snowflake.core.view",
    # For `SqlDbConnection`, in annotations only. Importing it imports Dagster's SQL storage
    # (SQLAlchemy, Alembic): ~0.4 s a process that loads definitions without an instance
    # (a code server until its first tick, a reload from the UI) need not pay.
    SQL_EVENT_LOG,
)


class DeferredName:
    """A name of a module not imported yet: the first call or attribute use imports it."""

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name = module, name

    def resolve(self) -> Any:
        return getattr(importlib.import_module(self._module), self._name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        # Introspection (typing's `hasattr(t, "__typing_subst__")` when the name is in a Union
        # annotation) asks for dunders while the module is still a stand-in: answer, don't import.
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(self.resolve(), attribute)

    def __repr__(self) -> str:
        return f"<deferred {self._module}.{self._name}>"


class _DeferredModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return DeferredName(self.__name__, name)


def _import_dagster_snowflake() -> types.ModuleType:
    if "dagster_snowflake" in sys.modules:
        return sys.modules["dagster_snowflake"]
    stand_ins = [name for name in DEFERRED_MODULES if name not in sys.modules]
    for name in stand_ins:
        sys.modules[name] = _DeferredModule(name)
    try:
        return importlib.import_module("dagster_snowflake")
    finally:
        for name in stand_ins:
            if isinstance(sys.modules.get(name), _DeferredModule):
                del sys.modules[name]
        # `import snowflake.core` binds the stand-in as an attribute of the `snowflake` package:
        # unbind it, so the next import finds the real module.
        package = sys.modules.get("snowflake")
        for name in stand_ins:
            parent, _, child = name.rpartition(".")
            holder = sys.modules.get(parent) if parent != "snowflake" else package
            if isinstance(getattr(holder, child, None), _DeferredModule):
                delattr(holder, child)


if TYPE_CHECKING:
    from dagster_snowflake import SnowflakeResource
else:
    SnowflakeResource = _import_dagster_snowflake().SnowflakeResource

__all__ = ["SnowflakeResource"]
