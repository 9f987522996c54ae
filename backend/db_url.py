"""Which engine a database address names: one rule for every place that asks."""

from __future__ import annotations


def is_postgres_url(value: object) -> bool:
    """Whether `value` (a `--db` value, a setting, a path) names a PostgreSQL database."""
    return str(value).startswith(("postgresql://", "postgres://"))
