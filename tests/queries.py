"""Statement counts that differ by database, named once."""

from django.db import connection


def list_count_planning() -> int:
    """What a manager's list spends before it counts: on PostgreSQL the manager's people read by id and the EXPLAIN
    that estimates the count (crm/paging.py); SQLite counts at once."""
    return 2 if connection.vendor == "postgresql" else 0
