"""A SQLAlchemy statement compiled once, to run on the driver's own connection.

For the two or three statements of every turn, SQLAlchemy's execution path
(execution context, result machinery and, on the async engine, the greenlet
bridge) cost several times the statements themselves. These are still
SQLAlchemy's statements, compiled by its dialect; the values go in and out
through the column types' own bind and result processors, so what is stored is
exactly what SQLAlchemy itself would store (JSON as its text, SQLite datetimes
in SQLAlchemy's format).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class Compiled:
    """The statement's SQL, its parameters in order, and how each value is converted."""

    def __init__(self, stmt, dialect):
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        # values compiled into the statement itself (set_config's arguments, a literal version 1)
        self._fixed = {
            name: value for name, value in compiled.construct_params(_check=False).items() if value is not None
        }
        processors: dict[str, Callable[[Any], Any]] = {}
        for name in set(self.names):
            bind = compiled.binds.get(name)
            if bind is None:
                continue
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
        self._processors = processors
        # a SELECT's columns, in order, with their result processors (None: the driver's value as it is)
        columns = getattr(stmt, "selected_columns", ())
        self.results: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]

    def args(self, params: dict[str, Any]) -> list[Any]:
        merged = {**self._fixed, **params}
        out = []
        for name in self.names:
            value = merged[name]
            process = self._processors.get(name)
            out.append(process(value) if process is not None and value is not None else value)
        return out

    def row(self, raw: Sequence[Any]) -> list[Any]:
        """A result row's values as SQLAlchemy would hand them back."""
        return [
            process(value) if process is not None and value is not None else value
            for process, value in zip(self.results, raw, strict=True)
        ]
